/**
 * StepPrinter: progress lines people recognise from minikube — a glyph, two spaces, the text; sub-steps
 * indented with "▪". Falls back to "*" and "-" when stdout is not a UTF-8 terminal (pipes, CI logs, C locale).
 */

/** StepGlyph names the glyphs we use. */
export type StepGlyph = 'start' | 'certs' | 'boot' | 'config' | 'verify' | 'done' | 'stop' | 'delete' | 'info' | 'warn' | 'wait';

const EMOJI: Record<StepGlyph, string> = {
  start: '😄',
  certs: '🔑',
  boot: '🔥',
  config: '🔗',
  verify: '🔎',
  done: '🏄',
  stop: '✋',
  delete: '🔥',
  info: '💡',
  warn: '❗',
  wait: '⌛',
};

function utf8Terminal(stream: NodeJS.WriteStream): boolean {
  if (!stream.isTTY) return false;
  const loc = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '';
  return /utf-?8/i.test(loc);
}

/** StepPrinter writes progress lines to a stream (stdout by default). */
export class StepPrinter {
  readonly #out: NodeJS.WriteStream;
  readonly #fancy: boolean;
  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.#out = out;
    this.#fancy = utf8Terminal(out);
  }
  /** step prints a top-level line. */
  step(glyph: StepGlyph, text: string): void {
    this.#out.write(`${this.#fancy ? EMOJI[glyph] : '*'}  ${text}\n`);
  }
  /** sub prints an indented sub-step. */
  sub(text: string): void {
    this.#out.write(`    ${this.#fancy ? '▪' : '-'} ${text}\n`);
  }
}
