/**
 * The one CEL wrapper of tkube, over @marcbachmann/cel-js. CRD `x-kubernetes-validations` rules and
 * ValidatingAdmissionPolicy expressions both go through it.
 *
 * Contract:
 * - `compileCel(expression, { variables })` parses and type-checks once; keep the CelProgram and evaluate it for
 *   every object. A syntax or type error comes back as `{ ok: false, error }`, never as an exception.
 * - `program.evaluate(activation)` runs it. Variables are plain JSON values (what the API stores); they are
 *   converted for CEL here (integers become CEL `int`, see cel-value.ts), and the result is converted back
 *   (BigInt → number). Failures (no such key, no such overload, division by zero, budget exceeded) come back as
 *   `{ ok: false, error }`.
 * - Guards: an expression longer than MAX_EXPRESSION_LENGTH or with more than MAX_AST_NODES nodes does not
 *   compile; an evaluation that runs longer than its time budget (default 100 ms) is reported as an error. The
 *   library cannot be interrupted, so the time guard is checked when evaluation returns; the AST limits bound what
 *   one expression may do per input element.
 * - `has(self.x)`, macros (all, exists, exists_one, map, filter), string functions (startsWith, matches, size,
 *   lowerAscii, split, join, trim, substring, indexOf…), optional chaining (`self.?x.orValue(…)`) and
 *   durations/timestamps are the library's. Added here from Kubernetes' CEL libraries: list `isSorted()`, `sum()`,
 *   `min()`, `max()`, `indexOf(x)`, `lastIndexOf(x)`, and string `replace(old, new)`.
 */
import { Environment } from '@marcbachmann/cel-js';
import { fromCelValue, toCelValue, type JsonSchemaTypeHint } from './cel-value.js';

/** Longest expression compiled (upstream bounds rules by estimated cost; a length bound is our simpler guard). */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Most AST nodes one expression may have. */
export const MAX_AST_NODES = 2_000;
/** Default time budget of one evaluation, in milliseconds. */
export const DEFAULT_TIME_BUDGET_MS = 100;

/** CelResult is a value or an error message; evaluation never throws. */
export type CelResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/** CelCompileResult is a compiled program or the reason the expression does not compile. */
export type CelCompileResult = { readonly ok: true; readonly program: CelProgram } | { readonly ok: false; readonly error: string };

/** CelCompileOptions name the variables an expression may use. */
export interface CelCompileOptions {
  /** Variable names, each of dynamic type (e.g. ["self", "oldSelf"], or VAP's ["object", "oldObject", "request", "params"]). */
  readonly variables: readonly string[];
}

/** CelEvaluateOptions tune one evaluation. */
export interface CelEvaluateOptions {
  /** @default DEFAULT_TIME_BUDGET_MS */
  readonly timeBudgetMs?: number;
  /** Says which JSON numbers are CEL doubles (schema type `number`); others that are integral are ints. */
  readonly typeHint?: JsonSchemaTypeHint;
  /** Variables passed through unconverted (already CEL values). */
  readonly raw?: boolean;
}

type Evaluable = ((context?: Record<string, unknown>) => unknown) & { check(): { valid: boolean; type?: string; error?: { message?: string } } };

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // The library appends a caret diagram on further lines; the first line is the message.
  return (text.split('\n')[0] ?? text).trim();
}

/** CelProgram is one compiled expression. */
export class CelProgram {
  readonly expression: string;
  /** The checked result type ("bool", "string", "int", "dyn", …). */
  readonly resultType: string;
  readonly #run: Evaluable;
  readonly #now: () => number;

  /** Use compileCel. */
  constructor(expression: string, run: Evaluable, resultType: string, now: () => number = () => performance.now()) {
    this.expression = expression;
    this.#run = run;
    this.resultType = resultType;
    this.#now = now;
  }

  /** evaluate runs the program with the given variables (JSON values) and returns its (JSON) result or an error. */
  evaluate(activation: Readonly<Record<string, unknown>>, options: CelEvaluateOptions = {}): CelResult {
    const context: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(activation)) {
      if (value === undefined) continue;
      context[name] = options.raw ? value : toCelValue(value, options.typeHint);
    }
    const budget = options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS;
    const started = this.#now();
    let value: unknown;
    try {
      value = this.#run(context);
    } catch (err) {
      return { ok: false, error: messageOf(err) };
    }
    if (this.#now() - started > budget) return { ok: false, error: `operation cancelled: actual cost limit exceeded (over ${budget} ms)` };
    return { ok: true, value: fromCelValue(value) };
  }
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'bigint' || typeof a === 'number' || typeof a === 'string') {
    const x = a as number | bigint | string;
    const y = b as number | bigint | string;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return 0;
}

function listOf(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Error('no such overload: receiver is not a list');
  return v;
}

function extreme(v: unknown, pick: (c: number) => boolean, what: string): unknown {
  const list = listOf(v);
  if (list.length === 0) throw new Error(`${what}() cannot be applied to an empty list`);
  return list.reduce((best, x) => (pick(compare(x, best)) ? x : best));
}

/** registerKubernetesLibrary adds the Kubernetes CEL list and string functions the library lacks. */
function registerKubernetesLibrary(env: Environment): void {
  env.registerFunction('list.isSorted(): bool', (l: unknown) => listOf(l).every((x, i, all) => i === 0 || compare(all[i - 1], x) <= 0));
  env.registerFunction('list.sum(): dyn', (l: unknown) => {
    const list = listOf(l) as (number | bigint)[];
    if (list.length === 0) return 0n;
    return list.reduce((a, b) => ((typeof a === 'bigint' && typeof b === 'bigint') ? a + b : Number(a) + Number(b)));
  });
  env.registerFunction('list.min(): dyn', (l: unknown) => extreme(l, (c) => c < 0, 'min'));
  env.registerFunction('list.max(): dyn', (l: unknown) => extreme(l, (c) => c > 0, 'max'));
  env.registerFunction('list.indexOf(dyn): int', (l: unknown, x: unknown) => BigInt(listOf(l).findIndex((y) => y === x)));
  env.registerFunction('list.lastIndexOf(dyn): int', (l: unknown, x: unknown) => BigInt(listOf(l).findLastIndex((y) => y === x)));
  env.registerFunction('string.replace(string, string): string', (s: unknown, from: unknown, to: unknown) => String(s).split(String(from)).join(String(to)));
}

const environments = new Map<string, Environment>();

function environmentFor(variables: readonly string[]): Environment {
  const key = [...variables].sort().join(',');
  let env = environments.get(key);
  if (env === undefined) {
    env = new Environment({
      enableOptionalTypes: true,
      homogeneousAggregateLiterals: false,
      limits: { maxAstNodes: MAX_AST_NODES },
    });
    for (const name of variables) env.registerVariable(name, 'dyn');
    registerKubernetesLibrary(env);
    environments.set(key, env);
  }
  return env;
}

/** compileCel parses and type-checks an expression over the named (dynamic) variables. */
export function compileCel(expression: string, options: CelCompileOptions): CelCompileResult {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    return { ok: false, error: `expression is too long: ${expression.length} characters, at most ${MAX_EXPRESSION_LENGTH} are allowed` };
  }
  try {
    const parsed = environmentFor(options.variables).parse(expression) as unknown as Evaluable;
    const checked = parsed.check();
    if (!checked.valid) return { ok: false, error: messageOf(checked.error?.message ?? 'type check failed') };
    return { ok: true, program: new CelProgram(expression, parsed, checked.type ?? 'dyn') };
  } catch (err) {
    return { ok: false, error: messageOf(err) };
  }
}
