/** Wrong usage or bad input: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {}

export const EXIT = { ok: 0, violations: 1, usage: 2 } as const;
