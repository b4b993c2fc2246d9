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

/** An exemption's use could not be recorded: the expiry re-check would miss it, so the event fails. */
export class ExemptionUseError extends DriftguardError {}

/**
 * A live read failed (throttling, AccessDenied, no role): the change cannot be judged yet. Thrown
 * so that SQS retries the event and finally dead-letters it with this reason, rather than guessing.
 */
export class LiveFactsError extends DriftguardError {}

export class InvalidSweepUnitError extends DriftguardError {}

/** A unit's reads failed on a delivery that is not its last: SQS delivers it again after the visibility timeout. */
export class SweepUnitRetryError extends DriftguardError {}

/** Which accounts and regions to sweep could not be worked out; the message says what to pass. */
export class SweepScopeError extends DriftguardError {}

export class ExemptionNotFoundError extends DriftguardError {}

/** A request that is not (or no longer) waiting for approval. */
export class RequestNotPendingError extends DriftguardError {}

export class BreakerConflictError extends DriftguardError {}

/** The decision could not be recorded in the audit trail: the event must be retried. */
export class AuditWriteError extends DriftguardError {}

/**
 * Another delivery of the same event holds it right now (or failed or crashed without giving it back,
 * less than the lock ago). The delivery fails and the queue redelivers it later, by when the event is
 * done (a duplicate) or the lock has expired (this delivery takes over). It is never acknowledged as
 * done: the holder may be this very message's previous delivery, which failed. In production the lock
 * (120 s) outlasts the function (60 s) and ends before the queue's visibility timeout (360 s), so a
 * redelivery always finds the event done or free.
 */
export class EventInProgressError extends DriftguardError {}

export class ConfigTooLargeError extends DriftguardError {}

export class ConfigUnavailableError extends DriftguardError {}

/** Error codes AWS returns for load and time, not for a decision about the caller. */
const TRANSIENT_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether an error (or what caused it, e.g. the STS call under a CredentialsError) is load, time or
 * the network rather than an answer: throttling, 5xx, a timeout, a dropped connection. Such errors
 * are retried; anything else (access denied, not found, invalid) is an answer about the account.
 */
export function isTransientError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if (typeof current !== 'object') return false;
    const candidate = current as {
      $retryable?: unknown;
      $metadata?: { httpStatusCode?: number };
      code?: unknown;
      cause?: unknown;
    };
    const code = awsErrorCode(current);
    const status = candidate.$metadata?.httpStatusCode ?? 0;
    if (
      (code && TRANSIENT_CODES.has(code)) ||
      candidate.$retryable !== undefined ||
      status >= 500 ||
      status === 429 ||
      (typeof candidate.code === 'string' && NETWORK_CODES.has(candidate.code))
    )
      return true;
    current = candidate.cause;
  }
  return false;
}
