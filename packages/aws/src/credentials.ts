import { AssumeRoleCommand, GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { partitionOf, REMEDIATION_SESSION_NAME } from '@driftguard/core';
import { CredentialsError, errorMessage } from './errors';

export interface AccountCredentialsOptions {
  sts: STSClient;
  roleName: string;
  externalId?: string;
  /**
   * The central function role's ARN: member roles are assumed in its partition (`aws-cn`,
   * `aws-us-gov`, …), since an organization never spans partitions. Default `aws`.
   */
  centralRoleArn?: string;
  /** The account driftguard runs in: no role to assume there. Looked up once when not given. */
  homeAccount?: string;
  /**
   * Assume the remediation role in the home account too. Deployed, the central role holds none of
   * the executor's actions (least privilege), so the security account is remediated through its own
   * DriftGuardRemediation role like any member. Locally (CLI, demo) the caller's own credentials act.
   */
  assumeAtHome?: boolean;
  /** Refresh this long before expiry. */
  refreshMarginMs?: number;
  now?: () => number;
}

/** Credentials for acting in an account: undefined means "use the function's own credentials". */
export type CredentialsForAccount = (account: string) => Promise<AwsCredentialIdentity | undefined>;

/**
 * Assumes the member remediation role per account, caching the session until shortly before it
 * expires. The session name (REMEDIATION_SESSION_NAME) together with the role's exact ARN in the
 * account is how driftguard recognises its own changes (core own-identity.ts: loop guard).
 */
export function accountCredentials(options: AccountCredentialsOptions): CredentialsForAccount {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  const cache = new Map<string, Promise<AwsCredentialIdentity>>();
  const partition = partitionOf(options.centralRoleArn) ?? 'aws';
  let home: Promise<string | undefined> | undefined = options.homeAccount
    ? Promise.resolve(options.homeAccount)
    : undefined;

  const homeAccount = () => {
    home ??= options.sts
      .send(new GetCallerIdentityCommand({}))
      .then((identity) => identity.Account)
      .catch(() => undefined);
    return home;
  };

  const assume = async (account: string): Promise<AwsCredentialIdentity> => {
    const roleArn = `arn:${partition}:iam::${account}:role/${options.roleName}`;
    try {
      const { Credentials } = await options.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: REMEDIATION_SESSION_NAME,
          DurationSeconds: 900,
          ...(options.externalId ? { ExternalId: options.externalId } : {}),
        }),
      );
      if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) {
        throw new CredentialsError(`AssumeRole ${roleArn} returned no credentials`);
      }
      return {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretAccessKey,
        ...(Credentials.SessionToken ? { sessionToken: Credentials.SessionToken } : {}),
        ...(Credentials.Expiration ? { expiration: Credentials.Expiration } : {}),
      };
    } catch (error) {
      if (error instanceof CredentialsError) throw error;
      throw new CredentialsError(
        `cannot assume ${roleArn}: ${errorMessage(error)} (is the member stack deployed in ${account}, and does its trust policy name this function's role and external id?)`,
        { cause: error },
      );
    }
  };

  return async (account) => {
    if (!options.assumeAtHome && (await homeAccount()) === account) return undefined;
    const cached = cache.get(account);
    if (cached) {
      const credentials = await cached.catch(() => undefined);
      if (credentials && (!credentials.expiration || credentials.expiration.getTime() - margin > now())) {
        return credentials;
      }
    }
    const fresh = assume(account);
    cache.set(account, fresh);
    fresh.catch(() => cache.delete(account));
    return fresh;
  };
}
