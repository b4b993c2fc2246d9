/** Base class for unexpected failures; expected ones are values (`{ ok: false, reason }`). */
export class DriftguardError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The input could not be understood; retrying will not help, it belongs in the DLQ. */
export class InvalidEventError extends DriftguardError {}

/** Credentials for a member account could not be obtained. */
export class CredentialsError extends DriftguardError {}

/** The AWS error code of an SDK exception, if any. */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = (error as { name?: unknown; Code?: unknown }).Code ?? (error as { name?: unknown }).name;
  return typeof candidate === 'string' ? candidate : undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
