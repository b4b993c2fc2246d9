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
}

export function clientConfig(settings: ClientSettings) {
  return {
    region: settings.region,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    // Adaptive retry backs off on throttling across calls of the same client.
    retryMode: 'adaptive' as const,
    maxAttempts: settings.maxAttempts ?? 5,
  };
}
