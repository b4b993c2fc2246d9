import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  analyzeTrustPolicy,
  decodeTrustPolicy,
  matchStatements,
  type OperationResult,
  type PolicyDocument,
  parsePolicy,
  policyFingerprint,
  policyWithStatements,
  ROLE_TRUST_SNAPSHOT,
  roleTrustZone,
  statementLabel,
  type UpdateAssumeRolePolicy,
  zoneOfOperation,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { organizationOf } from './s3';

type LiveTrust =
  | { state: 'gone' }
  | { state: 'unreadable'; why: string }
  | { state: 'present'; policy: PolicyDocument };

async function readTrust(iam: IAMClient, RoleName: string): Promise<LiveTrust> {
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName }));
    const parsed = parsePolicy(decodeTrustPolicy(Role?.AssumeRolePolicyDocument));
    return parsed.ok
      ? { state: 'present', policy: parsed.policy }
      : { state: 'unreadable', why: parsed.reason };
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity' || awsErrorCode(error) === 'NoSuchEntityException')
      return { state: 'gone' };
    throw error;
  }
}

/**
 * verify → act → verify for iam-role-trust: re-read the role's trust policy, act only while a
 * referenced statement still offends, put back the last-known-good policy (when configured, known
 * and still compliant) or the live policy without those statements, and read it back. Never writes a
 * policy with no statement: that role would be assumable by nobody.
 */
export async function updateAssumeRolePolicy(
  operation: UpdateAssumeRolePolicy,
  context: ExecutorContext,
): Promise<OperationResult> {
  const { clients, config, snapshots } = context;
  const iam = await clients.get(IAMClient, operation.target);
  const { RoleName } = operation.input;
  const live = await readTrust(iam, RoleName);
  if (live.state === 'gone')
    return { operation, status: 'already-compliant', verified: true, detail: `${RoleName} no longer exists` };
  if (live.state === 'unreadable')
    return {
      operation,
      status: 'failed',
      verified: false,
      detail: `live trust policy of ${RoleName} unreadable: ${live.why}`,
    };
  const zone = roleTrustZone(
    config,
    zoneOfOperation(operation.zone, config, await organizationOf(context)),
    operation.target.account,
  );
  const offends = (policy: PolicyDocument) => {
    const verdicts = analyzeTrustPolicy(policy, zone);
    return matchStatements(policy.statements, operation.remove).filter(
      (statement) => verdicts[statement.index]?.offending === true,
    );
  };
  const still = offends(live.policy);
  if (still.length === 0) {
    return {
      operation,
      status: 'already-compliant',
      verified: true,
      detail: `none of the offending statements is still in the trust policy of ${RoleName}`,
    };
  }
  let written: Record<string, unknown> | undefined;
  let how = '';
  if (operation.restore === 'last-known-good' && snapshots) {
    const snapshot = await snapshots.get(
      operation.target.account,
      operation.target.region,
      RoleName,
      ROLE_TRUST_SNAPSHOT,
    );
    const good = snapshot ? parsePolicy(snapshot.document) : undefined;
    if (
      snapshot &&
      good?.ok &&
      analyzeTrustPolicy(good.policy, zone).every((verdict) => !verdict.offending)
    ) {
      written = good.policy.source;
      how = `restored the last-known-good trust policy of ${RoleName} (seen compliant ${snapshot.seenAt})`;
    }
  }
  if (!written) {
    const keep = live.policy.statements.filter((statement) => !still.includes(statement));
    if (keep.length === 0) {
      return {
        operation,
        status: 'failed',
        verified: false,
        detail: `not changed: every statement of ${RoleName}'s trust policy offends and no last-known-good policy is known; removing them would leave a role nobody can assume (fix by hand)`,
      };
    }
    written = policyWithStatements(live.policy, keep);
    how = `removed ${still.map((statement) => statementLabel(statement)).join(', ')} from the trust policy of ${RoleName}`;
  }
  const document = JSON.stringify(written);
  await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: document }));
  const after = await readTrust(iam, RoleName);
  const expected = parsePolicy(document);
  if (
    after.state !== 'present' ||
    !expected.ok ||
    policyFingerprint(after.policy.source) !== policyFingerprint(expected.policy.source) ||
    offends(after.policy).length > 0
  ) {
    return {
      operation,
      status: 'failed',
      verified: false,
      detail: `re-read of ${RoleName} does not show the trust policy that was put`,
    };
  }
  return { operation, status: 'applied', verified: true, detail: how, changed: [how] };
}
