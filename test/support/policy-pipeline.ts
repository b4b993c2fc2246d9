import {
  type AccountClients,
  accountClients,
  accountCredentials,
  createExecutor,
  createPipeline,
  type Pipeline,
  type SnapshotStore,
} from '@driftguard/aws';
import { type Config, defaultConfig } from '@driftguard/core';
import { clientOptions, HOME_ACCOUNT, stsClient } from './aws';
import { TEST_ORGANIZATION } from './network';

/**
 * The production pipeline wired to moto as runtime.ts wires it for the policy guardrails: the
 * organization (home and member account, o-a1b2c3d4e5) is known to the evaluator and to the
 * executor, which re-judges live documents (and last-known-good snapshots) with the same zone.
 */
export function policyPipeline(
  options: { config?: Config; snapshots?: SnapshotStore; clients?: AccountClients } = {},
): Pipeline {
  const config = options.config ?? defaultConfig();
  const { endpoint } = clientOptions();
  const credentialsFor = accountCredentials({
    sts: stsClient(),
    roleName: config.remediationRoleName,
    homeAccount: HOME_ACCOUNT,
  });
  const organization = async () => TEST_ORGANIZATION;
  const execute = createExecutor({
    config,
    credentialsFor,
    endpoint,
    clients: options.clients ?? accountClients({ credentialsFor, endpoint }),
    organization,
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
  });
  return createPipeline({
    config,
    execute,
    organization,
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
  });
}
