/** Wrong usage or bad input: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {}

/** `incomplete`: part of the work failed (an account or region could not be swept, a message not moved). */
export const EXIT = { ok: 0, violations: 1, usage: 2, incomplete: 3 } as const;
