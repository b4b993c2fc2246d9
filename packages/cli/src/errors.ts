/** Base of the CLI's errors: named after their class, with the underlying failure as `cause`. */
class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Wrong usage or bad input: the CLI prints the message and exits with code 2. */
export class UsageError extends CliError {}

/**
 * An input file or stream could not be read as CloudTrail or GuardDuty records. Replay reports
 * it per file and goes on; a command that needs every input turns it into a UsageError.
 */
export class InputError extends CliError {}

/** `incomplete`: part of the work failed (an account or region could not be swept, a message not moved). */
export const EXIT = { ok: 0, violations: 1, usage: 2, incomplete: 3 } as const;
