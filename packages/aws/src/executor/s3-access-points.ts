import {
  DeleteAccessPointPolicyCommand,
  GetAccessPointPolicyCommand,
  PutAccessPointPolicyCommand,
  type S3ControlClient,
} from '@aws-sdk/client-s3-control';
import {
  analyzeAccessPointPolicy,
  type DeleteAccessPointPolicy,
  matchStatements,
  type OperationResult,
  type PolicyDocument,
  type PutAccessPointPolicy,
  parsePolicy,
  policyWithStatements,
  statementLabel,
  zoneOfOperation,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { organizationOf, S3ControlClientAtEndpoint } from './s3';

type AccessPointPolicyRead = { state: 'present'; text: string } | { state: 'absent'; why: string };

async function readAccessPointPolicy(
  control: S3ControlClient,
  AccountId: string,
  Name: string,
): Promise<AccessPointPolicyRead> {
  try {
    const { Policy } = await control.send(new GetAccessPointPolicyCommand({ AccountId, Name }));
    return Policy
      ? { state: 'present', text: Policy }
      : { state: 'absent', why: `access point ${Name} has no policy` };
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'NoSuchAccessPointPolicy')
      return { state: 'absent', why: `access point ${Name} has no policy` };
    if (code === 'NoSuchAccessPoint')
      return { state: 'absent', why: `access point ${Name} no longer exists` };
    throw error;
  }
}

/**
 * verify → act → verify for s3-access-point-policy: re-read the live policy, find the statements the
 * plan names that are still there and still offend (re-analyzed with the same trust zone), remove
 * exactly those (DeleteAccessPointPolicy when nothing would remain), then read it back to prove it.
 */
export async function revertAccessPointPolicy(
  operation: PutAccessPointPolicy | DeleteAccessPointPolicy,
  context: ExecutorContext,
): Promise<OperationResult> {
  const { clients, config } = context;
  const control = await clients.get(S3ControlClientAtEndpoint, operation.target);
  const { AccountId, Name } = operation.input;
  const where = `access point ${Name}`;
  const live = await readAccessPointPolicy(control, AccountId, Name);
  if (live.state === 'absent') {
    return { operation, status: 'already-compliant', verified: true, detail: live.why };
  }
  const parsed = parsePolicy(live.text);
  if (!parsed.ok) {
    return {
      operation,
      status: 'failed',
      verified: false,
      detail: `live policy of ${where} unreadable: ${parsed.reason}`,
    };
  }
  const trustZone = zoneOfOperation(operation.zone, config, await organizationOf(context));
  const offends = (policy: PolicyDocument) => {
    const analysis = analyzeAccessPointPolicy(policy, config, trustZone, operation.target.account);
    return matchStatements(policy.statements, operation.remove).filter(
      (statement) => analysis.statements[statement.index]?.offending === true,
    );
  };
  const still = offends(parsed.policy);
  if (still.length === 0) {
    return {
      operation,
      status: 'already-compliant',
      verified: true,
      detail: `none of the offending statements is still in the policy of ${where}`,
    };
  }
  const labels = still.map((statement) => statementLabel(statement));
  const keep = parsed.policy.statements.filter((statement) => !still.includes(statement));
  if (keep.length === 0) {
    await control.send(new DeleteAccessPointPolicyCommand({ AccountId, Name }));
  } else {
    const Policy = JSON.stringify(policyWithStatements(parsed.policy, keep));
    await control.send(new PutAccessPointPolicyCommand({ AccountId, Name, Policy }));
  }
  const after = await readAccessPointPolicy(control, AccountId, Name);
  const afterParsed = after.state === 'present' ? parsePolicy(after.text) : undefined;
  if (afterParsed && !afterParsed.ok) {
    return {
      operation,
      status: 'failed',
      verified: false,
      detail: `re-read policy of ${where} is unreadable`,
    };
  }
  const remaining = afterParsed?.ok ? offends(afterParsed.policy) : [];
  if (remaining.length > 0) {
    return {
      operation,
      status: 'failed',
      verified: false,
      detail: `re-read of ${where} still shows ${remaining.map((statement) => statementLabel(statement)).join(', ')}`,
    };
  }
  const kept = afterParsed?.ok ? afterParsed.policy.statements.length : 0;
  if (kept !== keep.length) {
    return {
      operation,
      status: 'failed',
      verified: false,
      detail: `re-read of ${where} shows ${kept} statement(s), expected the ${keep.length} compliant one(s)`,
    };
  }
  return {
    operation,
    status: 'applied',
    verified: true,
    detail:
      keep.length === 0
        ? `deleted the policy of ${where} (every statement offended: ${labels.join(', ')})`
        : `removed ${labels.join(', ')} from the policy of ${where}; ${keep.length} statement(s) kept`,
    changed: labels.map((label) => `${where} ${label}`),
  };
}
