import {
  analyzeResourcePolicyWith,
  type OperationResult,
  type PolicyDocument,
  parsePolicy,
  policyWithout,
  RESOURCE_POLICY_ADAPTERS,
  type ResourcePolicyOperation,
  resourcePolicyZone,
  statementLabel,
} from '@driftguard/core';
import type { ExecutorContext } from '../index';
import { showsPolicy } from '../last-known-good';
import { applied, failed } from '../results';
import { revertTrustZone } from '../revert-zone';
import { findLiveOffenders, stillOffending } from '../statement-removal';
import { ecrPolicyIo } from './ecr';
import type { PolicyIo, PolicyIoTable } from './io';
import { kmsPolicyIo } from './kms';
import { secretsManagerPolicyIo } from './secrets-manager';
import { snsPolicyIo } from './sns';
import { sqsPolicyIo } from './sqs';

const IO: PolicyIoTable = {
  sqs: sqsPolicyIo,
  sns: snsPolicyIo,
  kms: kmsPolicyIo,
  ecr: ecrPolicyIo,
  secretsmanager: secretsManagerPolicyIo,
};

/**
 * verify → act → verify for resource-policy, every service alike: re-read the live policy, find the
 * statements the plan names that are still there and still offend (re-judged with the same trust
 * zone), write the policy back without exactly those (or clear it when none remain, the way the
 * service allows), then read it back to prove it. A revert the service's limits refuse (a key
 * policy that would lock its owner out) changes nothing and says why.
 */
export async function revertResourcePolicy(
  operation: ResourcePolicyOperation,
  context: ExecutorContext,
): Promise<OperationResult> {
  const io = IO[operation.service] as PolicyIo;
  const adapter = RESOURCE_POLICY_ADAPTERS.find((candidate) => candidate.service === operation.service);
  const owner = operation.target.account;
  const name = io.name(operation);
  const live = await findLiveOffenders(
    operation,
    name,
    await io.read(operation, context.clients),
    async () => {
      const zone = resourcePolicyZone(context.config, await revertTrustZone(operation, context), owner);
      return (policy: PolicyDocument) =>
        stillOffending(
          policy,
          operation.remove,
          analyzeResourcePolicyWith(policy, zone, context.config).statements,
        ).filter((statement) => !adapter?.mustKeep?.(statement, owner));
    },
  );
  if (!live.found) return live.result;
  const { still, offends } = live;
  const left = policyWithout(live.policy, still);
  const refusal = adapter?.refuseKept?.(left, owner);
  if (refusal) return failed(operation, `not changed: ${refusal}`);
  const text = left ? JSON.stringify(left.source) : undefined;
  const call = await io.write(operation, text, context.clients);
  const after = await io.read(operation, context.clients);
  const afterPolicy = after.state === 'present' ? parsePolicy(after.text) : undefined;
  const shows =
    left === undefined
      ? after.state === 'absent' || (afterPolicy?.ok === true && offends(afterPolicy.policy).length === 0)
      : afterPolicy?.ok === true &&
        showsPolicy(afterPolicy.policy, left) &&
        offends(afterPolicy.policy).length === 0;
  if (!shows) return failed(operation, `re-read of ${name} does not show the policy that was put`);
  const how = `removed ${still.map((statement) => statementLabel(statement)).join(', ')} from the policy of ${name} (${call})`;
  return applied(operation, how, [how]);
}
