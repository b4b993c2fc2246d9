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
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { lastKnownGood } from './last-known-good';
import { alreadyCompliant, applied, failed } from './results';
import { revertTrustZone } from './revert-zone';

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
    return alreadyCompliant(operation, `${id} no longer exists`);
  }
  const zone: ZoneContext = {
    trustZone: await revertTrustZone(operation, context),
    owner: operation.target.account,
  };
  if (compliant(judge(policyText(live), zone, context))) {
    return alreadyCompliant(operation, `the policy of ${id} no longer violates`);
  }
  const good = await lastKnownGood(
    operation,
    context,
    { resourceId: id, kind: ENDPOINT_POLICY_SNAPSHOT },
    (policy) => analyzeEndpointPolicyWith(policy, zone, context.config).verdict === 'compliant',
  );
  const desired = judge(good ? good.document : operation.input.PolicyDocument, zone, context);
  const source = good ? `the last-known-good policy (seen compliant ${good.seenAt})` : 'the baseline policy';
  if (!compliant(desired) || !('fingerprint' in desired)) {
    const why = 'unreadable' in desired ? desired.unreadable : 'it violates the rule itself';
    return failed(
      operation,
      `not applied: ${source} for ${id} is not compliant (${why}); fix baselinePolicy`,
    );
  }
  await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PolicyDocument: desired.text }));
  const after = await describeEndpoint(ec2, id);
  const now = after ? judge(policyText(after), zone, context) : undefined;
  if (!now || !('fingerprint' in now) || now.fingerprint !== desired.fingerprint || !compliant(now)) {
    return failed(operation, `re-read of ${id} does not show ${source}`);
  }
  return applied(operation, `put ${source} on ${id}`, [`${id}: ${source.replace(/^the /, '')}`]);
}
