import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  analyzeTrustPolicy,
  decodeTrustPolicy,
  type OperationResult,
  type PolicyDocument,
  parsePolicy,
  policyWithStatements,
  ROLE_TRUST_SNAPSHOT,
  roleTrustZone,
  statementLabel,
  type UpdateAssumeRolePolicy,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { lastKnownGood, showsPolicy } from './last-known-good';
import { alreadyCompliant, applied, failed } from './results';
import { revertTrustZone } from './revert-zone';
import { stillOffending } from './statement-removal';

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
  const iam = await context.clients.get(IAMClient, operation.target);
  const { RoleName } = operation.input;
  const live = await readTrust(iam, RoleName);
  if (live.state === 'gone') return alreadyCompliant(operation, `${RoleName} no longer exists`);
  if (live.state === 'unreadable')
    return failed(operation, `live trust policy of ${RoleName} unreadable: ${live.why}`);
  const zone = roleTrustZone(
    context.config,
    await revertTrustZone(operation, context),
    operation.target.account,
  );
  const offends = (policy: PolicyDocument) =>
    stillOffending(policy, operation.remove, analyzeTrustPolicy(policy, zone));
  const still = offends(live.policy);
  if (still.length === 0) {
    return alreadyCompliant(
      operation,
      `none of the offending statements is still in the trust policy of ${RoleName}`,
    );
  }
  const good = await lastKnownGood(
    operation,
    context,
    { resourceId: RoleName, kind: ROLE_TRUST_SNAPSHOT },
    (policy) => analyzeTrustPolicy(policy, zone).every((verdict) => !verdict.offending),
  );
  let written: Record<string, unknown>;
  let how: string;
  if (good) {
    written = good.policy.source;
    how = `restored the last-known-good trust policy of ${RoleName} (seen compliant ${good.seenAt})`;
  } else {
    const keep = live.policy.statements.filter((statement) => !still.includes(statement));
    if (keep.length === 0) {
      return failed(
        operation,
        `not changed: every statement of ${RoleName}'s trust policy offends and no last-known-good policy is known; removing them would leave a role nobody can assume (fix by hand)`,
      );
    }
    written = policyWithStatements(live.policy, keep);
    how = `removed ${still.map((statement) => statementLabel(statement)).join(', ')} from the trust policy of ${RoleName}`;
  }
  const document = JSON.stringify(written);
  await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: document }));
  const after = await readTrust(iam, RoleName);
  const expected = parsePolicy(document);
  const shown = after.state === 'present' ? after.policy : undefined;
  if (!expected.ok || !showsPolicy(shown, expected.policy) || (shown && offends(shown).length > 0)) {
    return failed(operation, `re-read of ${RoleName} does not show the trust policy that was put`);
  }
  return applied(operation, how, [how]);
}
