// One failure path for every `ptd` command: libraries throw, the CLI translates.
// Exit codes: 0 ok, 1 failure, 2 usage (STYLE.md rule 7).

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad flags or arguments: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Prints `ptd: <message>` on stderr and returns the exit code to use. */
export function reportError(err: unknown): number {
  const code = err instanceof CliError ? err.exitCode : 1;
  process.stderr.write(`ptd: ${describeError(err)}\n`);
  if (process.env.PTD_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return code;
}
