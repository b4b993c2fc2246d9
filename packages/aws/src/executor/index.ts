import { EC2Client } from '@aws-sdk/client-ec2';
import type { Config, Operation, OperationResult, Target } from '@driftguard/core';
import { type ClientSettings, clientConfig } from '../clients';
import type { CredentialsForAccount } from '../credentials';
import { awsErrorCode, errorMessage } from '../errors';
import { revokeSecurityGroupIngress } from './security-groups';

export interface ExecutorOptions {
  config: Config;
  credentialsFor: CredentialsForAccount;
  endpoint?: string;
  /** Overrides client construction (tests inject mocks for errors an emulator cannot produce). */
  ec2For?: (target: Target) => Promise<EC2Client>;
}

export type Executor = (operation: Operation) => Promise<OperationResult>;

/**
 * Turns typed operations into SDK calls in the operation's account and region. Every failure
 * becomes a `failed` result with the reason: one bad operation never hides the others.
 */
export function createExecutor(options: ExecutorOptions): Executor {
  const clients = new Map<string, EC2Client>();
  const ec2For =
    options.ec2For ??
    (async (target: Target) => {
      const credentials = await options.credentialsFor(target.account);
      // Clients are cached per account+region; assumed credentials are refreshed by the provider.
      const key = `${target.account}/${target.region}/${credentials?.accessKeyId ?? 'home'}`;
      let client = clients.get(key);
      if (!client) {
        const settings: ClientSettings = { region: target.region, credentials, endpoint: options.endpoint };
        client = new EC2Client(clientConfig(settings));
        clients.set(key, client);
      }
      return client;
    });

  return async (operation) => {
    try {
      switch (operation.operation) {
        case 'RevokeSecurityGroupIngress':
          return await revokeSecurityGroupIngress(await ec2For(operation.target), operation, options.config);
      }
    } catch (error) {
      const code = awsErrorCode(error);
      return {
        operation,
        status: 'failed',
        verified: false,
        detail: `${operation.operation} in ${operation.target.account}/${operation.target.region} failed: ${code ? `${code}: ` : ''}${errorMessage(error)}`,
      };
    }
  };
}
