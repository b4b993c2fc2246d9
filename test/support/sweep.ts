import { accountClients, type Describer } from '@driftguard/aws';
import { HOME_ACCOUNT, motoEndpoint, unique } from './aws';

/** One resource a describer found, with the event the sweep hands to the pipeline for it. */
export type SweptResource = Describer['describe'] extends (scope: never) => AsyncIterable<infer R>
  ? R
  : never;

/**
 * What the sweep's describers find in moto's home account and one region, read as a sweep reads the
 * account it runs in (the current credentials, no role to assume), kept to what `keep` selects
 * (other suites share the account).
 */
export async function sweptInHomeAccount(
  describers: readonly Describer[],
  keep: (resource: SweptResource) => boolean,
  region = 'us-east-1',
): Promise<SweptResource[]> {
  const scope = {
    runId: unique('run'),
    account: HOME_ACCOUNT,
    region,
    regions: [region],
    clients: accountClients({ credentialsFor: async () => undefined, endpoint: motoEndpoint }),
    observedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const found: SweptResource[] = [];
  for (const describer of describers)
    for await (const resource of describer.describe(scope)) if (keep(resource)) found.push(resource);
  return found;
}
