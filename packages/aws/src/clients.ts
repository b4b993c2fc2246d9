import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

/**
 * Shared client settings. `AWS_ENDPOINT_URL` (read by the caller, never here) points every client
 * at a local emulator such as moto; S3 then needs path-style addressing.
 */
export interface ClientSettings {
  region: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  endpoint?: string;
  maxAttempts?: number;
  /**
   * How long one attempt may take before it is abandoned (and retried like any transient error).
   * Without it a hung connection would hold the Lambda until its own timeout and fail the whole batch.
   */
  requestTimeoutMs?: number;
  /**
   * `adaptive` (member-account clients, see executor/index.ts): a client-side token bucket that slows
   * down after throttling — right where AWS throttles by the caller's request rate (EC2 and S3 APIs per
   * account and region, shared with the account's own workloads), and for the sweep's bursts of reads.
   * `standard` (the default: the state table, the queue, SNS, STS, Organizations): exponential backoff
   * with jitter only. One of these clients serves every event of a Lambda container, and the adaptive
   * limiter falls to 0.5 requests/s under a sustained share of throttled calls (its CUBIC floor), which
   * would slow every event down for one hot partition.
   */
  retryMode?: 'standard' | 'adaptive';
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function clientConfig(settings: ClientSettings) {
  return {
    region: settings.region,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    retryMode: settings.retryMode ?? 'standard',
    maxAttempts: settings.maxAttempts ?? 5,
    requestHandler: {
      connectionTimeout: Math.min(5_000, settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
      requestTimeout: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}
