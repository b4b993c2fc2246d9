import {
  DescribeRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type Target as RuleTarget,
} from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  type EnableForwardingRule,
  type OperationResult,
  parsePolicy,
  policyFingerprint,
  type RestoreForwardingTarget,
  type RestoreRemediationTrust,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { alreadyCompliant, applied, failed } from './results';

const RERUN = 'it is gone: update the StackSet instance of this account and region to recreate it';

async function ruleState(events: EventBridgeClient, name: string, bus: string): Promise<string | undefined> {
  try {
    const rule = await events.send(new DescribeRuleCommand({ Name: name, EventBusName: bus }));
    return rule.State ?? 'UNKNOWN';
  } catch (error) {
    if (awsErrorCode(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** verify → act → verify: a disabled forwarding rule enabled again, read back as ENABLED. */
export async function enableForwardingRule(
  operation: EnableForwardingRule,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const events = await clients.get(EventBridgeClient, operation.target);
  const { Name, EventBusName } = operation.input;
  const before = await ruleState(events, Name, EventBusName);
  if (before === undefined) return failed(operation, `${Name}: ${RERUN}`);
  if (before === 'ENABLED') return alreadyCompliant(operation, `${Name} is enabled`);
  await events.send(new EnableRuleCommand({ Name, EventBusName }));
  const after = await ruleState(events, Name, EventBusName);
  return after === 'ENABLED'
    ? applied(operation, `${Name} enabled again`, [Name])
    : failed(operation, `${Name} is still ${after ?? 'gone'} after EnableRule`);
}

async function targetsOf(
  events: EventBridgeClient,
  rule: string,
  bus: string,
): Promise<RuleTarget[] | undefined> {
  try {
    const targets: RuleTarget[] = [];
    let NextToken: string | undefined;
    do {
      const page = await events.send(
        new ListTargetsByRuleCommand({ Rule: rule, EventBusName: bus, NextToken }),
      );
      targets.push(...(page.Targets ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return targets;
  } catch (error) {
    if (awsErrorCode(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/**
 * verify → act → verify: the targets the change added (still there) removed, and the template's
 * central bus target put back when it is missing or points elsewhere; read back with
 * ListTargetsByRule. Targets the change did not add are left alone.
 */
export async function restoreForwardingTarget(
  operation: RestoreForwardingTarget,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const events = await clients.get(EventBridgeClient, operation.target);
  const { Rule, EventBusName, Target: wanted, RemoveIds } = operation.input;
  const matches = (target: RuleTarget | undefined) =>
    target?.Arn === wanted.Arn && target?.RoleArn === wanted.RoleArn;
  const judge = (targets: RuleTarget[]) => ({
    extra: targets
      .filter((t) => t.Id && t.Id !== wanted.Id && RemoveIds.includes(t.Id))
      .map((t) => t.Id as string),
    ours: targets.find((t) => t.Id === wanted.Id),
  });
  const before = await targetsOf(events, Rule, EventBusName);
  if (!before) return failed(operation, `${Rule}: ${RERUN}`);
  const { extra, ours } = judge(before);
  if (extra.length === 0 && matches(ours)) {
    return alreadyCompliant(operation, `${Rule} targets the central bus only`);
  }
  if (extra.length > 0) await events.send(new RemoveTargetsCommand({ Rule, EventBusName, Ids: extra }));
  if (!matches(ours)) await events.send(new PutTargetsCommand({ Rule, EventBusName, Targets: [wanted] }));
  const after = await targetsOf(events, Rule, EventBusName);
  const check = after ? judge(after) : undefined;
  const changed = [...extra.map((id) => `removed ${id}`), ...(matches(ours) ? [] : [`put ${wanted.Id}`])];
  return check && check.extra.length === 0 && matches(check.ours)
    ? applied(operation, `${Rule} targets the central bus again (${changed.join(', ')})`, changed)
    : failed(operation, `${Rule}'s targets still differ from the template after the revert`);
}

const fingerprint = (document: string | undefined): string | undefined => {
  if (!document) return undefined;
  // IAM returns policy documents URL-encoded.
  const parsed = parsePolicy(document.trimStart().startsWith('{') ? document : decodeURIComponent(document));
  return parsed.ok ? policyFingerprint(parsed.policy.source) : undefined;
};

async function trustOf(iam: IAMClient, roleName: string): Promise<string | undefined | null> {
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    return fingerprint(Role?.AssumeRolePolicyDocument);
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity') return null;
    throw error;
  }
}

/** verify → act → verify: the remediation role's trust policy restored exactly from the template. */
export async function restoreRemediationTrust(
  operation: RestoreRemediationTrust,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const iam = await clients.get(IAMClient, operation.target);
  const { RoleName, PolicyDocument } = operation.input;
  const wanted = fingerprint(PolicyDocument);
  const before = await trustOf(iam, RoleName);
  if (before === null) return failed(operation, `${RoleName}: ${RERUN}`);
  if (before === wanted) return alreadyCompliant(operation, `${RoleName}'s trust matches the template`);
  await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument }));
  const after = await trustOf(iam, RoleName);
  return after === wanted
    ? applied(operation, `${RoleName}'s trust policy restored from the template`, [RoleName])
    : failed(operation, `${RoleName}'s trust policy still differs from the template`);
}
