import {
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcEndpointCommand,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import {
  AWS_DEFAULT_ENDPOINT_POLICY,
  analyzeEndpointPolicyWith,
  ENDPOINT_POLICY_SNAPSHOT,
  type ModifyVpcEndpointPolicy,
  type OperationResult,
  type PolicyAnalysis,
  parsePolicy,
  policyFingerprint,
  type ZoneContext,
  zoneOfOperation,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { organizationOf } from './s3';

const GONE_STATES = new Set(['deleted', 'deleting', 'rejected', 'failed', 'expired']);

async function describeEndpoint(ec2: EC2Client, id: string): Promise<VpcEndpoint | undefined> {
  try {
    const { VpcEndpoints } = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    return VpcEndpoints?.find((endpoint) => endpoint.VpcEndpointId === id);
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidVpcEndpointId.NotFound') return undefined;
    throw error;
  }
}

/** An endpoint's policy in force: its document, or AWS's full-access default when it shows none. */
function policyText(endpoint: VpcEndpoint): string {
  return endpoint.PolicyDocument ?? JSON.stringify(AWS_DEFAULT_ENDPOINT_POLICY);
}

type Judged =
  | { text: string; fingerprint: string; analysis: PolicyAnalysis }
  | { text: string; unreadable: string };

function judge(text: string, zone: ZoneContext, context: ExecutorContext): Judged {
  const parsed = parsePolicy(text);
  if (!parsed.ok) return { text, unreadable: parsed.reason };
  return {
    text,
    fingerprint: policyFingerprint(parsed.policy.source),
    analysis: analyzeEndpointPolicyWith(parsed.policy, zone, context.config),
  };
}

const compliant = (judged: Judged | undefined) =>
  judged !== undefined && 'analysis' in judged && judged.analysis.verdict === 'compliant';

/**
 * verify → act → verify for vpc-endpoint-policy: re-read the endpoint (DescribeVpcEndpoints), act
 * only while its policy still violates (re-analyzed with the same trust zone), put back the
 * last-known-good policy when configured and still compliant, else the baseline from the plan,
 * and read it back to prove the policy in force is the one put and is compliant.
 */
export async function modifyVpcEndpointPolicy(
  operation: ModifyVpcEndpointPolicy,
  context: ExecutorContext,
): Promise<OperationResult> {
  const ec2 = await context.clients.get(EC2Client, operation.target);
  const id = operation.input.VpcEndpointId;
  const live = await describeEndpoint(ec2, id);
  if (!live || GONE_STATES.has((live.State ?? '').toLowerCase())) {
    return { operation, status: 'already-compliant', verified: true, detail: `${id} no longer exists` };
  }
  const zone: ZoneContext = {
    trustZone: zoneOfOperation(operation.zone, context.config, await organizationOf(context)),
    owner: operation.target.account,
  };
  const before = judge(policyText(live), zone, context);
  if (compliant(before)) {
    return {
      operation,
      status: 'already-compliant',
      verified: true,
      detail: `the policy of ${id} no longer violates`,
    };
  }
  let desired = judge(operation.input.PolicyDocument, zone, context);
  let source = 'the baseline policy';
  if (operation.restore === 'last-known-good' && context.snapshots) {
    const { account, region } = operation.target;
    const snapshot = await context.snapshots.get(account, region, id, ENDPOINT_POLICY_SNAPSHOT);
    const good = snapshot ? judge(snapshot.document, zone, context) : undefined;
    if (snapshot && compliant(good) && good) {
      desired = good;
      source = `the last-known-good policy (seen compliant ${snapshot.seenAt})`;
    }
  }
  if (!compliant(desired) || !('fingerprint' in desired)) {
    const why = 'unreadable' in desired ? desired.unreadable : 'it violates the rule itself';
    return {
      operation,
      status: 'failed',
      verified: false,
      detail: `not applied: ${source} for ${id} is not compliant (${why}); fix baselinePolicy`,
    };
  }
  await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PolicyDocument: desired.text }));
  const after = await describeEndpoint(ec2, id);
  const now = after ? judge(policyText(after), zone, context) : undefined;
  if (!now || !('fingerprint' in now) || now.fingerprint !== desired.fingerprint || !compliant(now)) {
    return {
      operation,
      status: 'failed',
      verified: false,
      detail: `re-read of ${id} does not show ${source}`,
    };
  }
  return {
    operation,
    status: 'applied',
    verified: true,
    detail: `put ${source} on ${id}`,
    changed: [`${id}: ${source.replace(/^the /, '')}`],
  };
}
