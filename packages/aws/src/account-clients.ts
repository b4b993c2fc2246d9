import type { Target } from '@driftguard/core';
import { type ClientSettings, clientConfig } from './clients';
import type { CredentialsForAccount } from './credentials';

/** An SDK v3 client class (EC2Client, S3Client, …). */
// biome-ignore lint/suspicious/noExplicitAny: SDK client constructors take service-specific config
export type ClientClass<C> = new (config: any) => C;

/** SDK clients acting in one account and region (assumed role, or own credentials at home). */
export interface AccountClients {
  get<C>(client: ClientClass<C>, target: Target): Promise<C>;
}

export function accountClients(options: {
  credentialsFor: CredentialsForAccount;
  endpoint?: string;
  /** Per-attempt timeout of every client (see ClientSettings). */
  requestTimeoutMs?: number;
}): AccountClients {
  const cache = new Map<string, unknown>();
  return {
    async get<C>(client: ClientClass<C>, target: Target): Promise<C> {
      const credentials = await options.credentialsFor(target.account);
      // Keyed by the session's key id too: a refreshed session gets a fresh client.
      const key = `${client.name}/${target.account}/${target.region}/${credentials?.accessKeyId ?? 'home'}`;
      let instance = cache.get(key) as C | undefined;
      if (!instance) {
        const settings: ClientSettings = {
          region: target.region,
          credentials,
          endpoint: options.endpoint,
          requestTimeoutMs: options.requestTimeoutMs,
          // Member APIs throttle per account and region: back off across this client's calls.
          retryMode: 'adaptive',
        };
        // moto (and any custom endpoint) needs path-style S3 addressing; harmless for other clients.
        instance = new client({
          ...clientConfig(settings),
          ...(options.endpoint ? { forcePathStyle: true } : {}),
        });
        cache.set(key, instance);
      }
      return instance;
    },
  };
}
