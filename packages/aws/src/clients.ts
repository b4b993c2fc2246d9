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
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function clientConfig(settings: ClientSettings) {
  return {
    region: settings.region,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    // Adaptive retry backs off on throttling across calls of the same client.
    retryMode: 'adaptive' as const,
    maxAttempts: settings.maxAttempts ?? 5,
    requestHandler: {
      connectionTimeout: Math.min(5_000, settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
      requestTimeout: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}
