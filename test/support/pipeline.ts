import {
  accountCredentials,
  createExecutor,
  createPipeline,
  type Notifier,
  type Pipeline,
} from '@driftguard/aws';
import { type Config, defaultConfig } from '@driftguard/core';
import { clientOptions, HOME_ACCOUNT, stsClient } from './aws';

/** The production pipeline wired to moto, with the home account as moto's default account. */
export function motoPipeline(options: { config?: Config; notifiers?: Notifier[] } = {}): Pipeline {
  const config = options.config ?? defaultConfig();
  const { endpoint } = clientOptions();
  const credentialsFor = accountCredentials({
    sts: stsClient(),
    roleName: config.remediationRoleName,
    homeAccount: HOME_ACCOUNT,
  });
  const execute = createExecutor({ config, credentialsFor, endpoint });
  return createPipeline({ config, execute, notifiers: options.notifiers ?? [] });
}
