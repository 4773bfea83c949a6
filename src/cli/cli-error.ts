/**
 * CliError: an expected failure of a command. main.ts prints its message as one plain line
 * (`tkube: <message>`) and exits with its code; no stack trace.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
