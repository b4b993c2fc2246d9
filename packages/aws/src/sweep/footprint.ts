import {
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  type Rule,
} from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CATALOG,
  type Config,
  decodeTrustPolicy,
  expectedForwardingRules,
  FOOTPRINT_OBSERVATION,
  type FootprintObservation,
  footprintResourceId,
  type ObservedRule,
  partitionOf,
} from '@driftguard/core';
import { awsErrorCode, isTransientError } from '../errors';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';
import { describeError } from './unit';

/** Forwarding rules live on the default bus: CloudTrail delivers there. */
const BUS = 'default';

/**
 * The region whose unit reads the remediation role: IAM is global, so once per account, from the
 * role region when the sweep covers it, else from the sweep's first region.
 */
export function roleReadRegion(scope: Pick<DescribeScope, 'regions'>, config: Config): string | undefined {
  const home = config.footprint.roleRegion;
  return home && scope.regions.includes(home) ? home : scope.regions[0];
}

async function targetsOf(events: EventBridgeClient, rule: string): Promise<ObservedRule['targets']> {
  const targets: ObservedRule['targets'] = [];
  let NextToken: string | undefined;
  do {
    const page = await events.send(
      new ListTargetsByRuleCommand({ Rule: rule, EventBusName: BUS, NextToken }),
    );
    for (const target of page.Targets ?? [])
      if (target.Id)
        targets.push({
          id: target.Id,
          ...(target.Arn ? { arn: target.Arn } : {}),
          ...(target.RoleArn ? { roleArn: target.RoleArn } : {}),
        });
    NextToken = page.NextToken;
  } while (NextToken);
  return targets;
}

/**
 * Every rule on the default bus named with driftguard's prefix, with its state, pattern and targets.
 * ListRules returns the pattern and state of each rule (the fields DescribeRule would), so one list
 * call and one target read per rule are all it takes.
 */
async function forwardingRules(events: EventBridgeClient, prefix: string): Promise<ObservedRule[]> {
  const listed: Rule[] = [];
  let NextToken: string | undefined;
  do {
    const page = await events.send(
      new ListRulesCommand({ NamePrefix: prefix, EventBusName: BUS, NextToken }),
    );
    listed.push(...(page.Rules ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  const rules: ObservedRule[] = [];
  for (const rule of listed) {
    // NamePrefix is a prefix filter; the check is repeated so a lenient emulator cannot widen it.
    if (!rule.Name?.startsWith(prefix)) continue;
    rules.push({
      name: rule.Name,
      ...(rule.State ? { state: rule.State } : {}),
      ...(rule.EventPattern ? { pattern: rule.EventPattern } : {}),
      targets: await targetsOf(events, rule.Name),
    });
  }
  return rules;
}

async function remediationRole(iam: IAMClient, roleName: string): Promise<FootprintObservation['role']> {
  try {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    const trust = decodeTrustPolicy(Role?.AssumeRolePolicyDocument);
    return { trustPolicy: typeof trust === 'string' ? trust : JSON.stringify(trust ?? null) };
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity') return null;
    throw error;
  }
}

async function observe(scope: DescribeScope, config: Config): Promise<FootprintObservation> {
  const { account, region } = scope;
  const partition =
    partitionOf(config.footprint.centralBusArn) ?? partitionOf(config.centralRoleArn) ?? 'aws';
  const expectedRules = expectedForwardingRules({
    catalog: CATALOG,
    remediationRoleName: config.remediationRoleName,
    forwardingPrefix: config.footprint.forwardingPrefix,
    account,
    region,
    partition,
    forwardGuardDutyFindings: config.footprint.forwardGuardDutyFindings,
  });
  const events = await scope.clients.get(EventBridgeClient, { account, region });
  const rules = await forwardingRules(events, config.footprint.forwardingPrefix);
  if (roleReadRegion(scope, config) !== region) return { expectedRules, rules };
  const iam = await scope.clients.get(IAMClient, { account, region });
  return { expectedRules, rules, role: await remediationRole(iam, config.remediationRoleName) };
}

/** The observation as the change driftguard-integrity judges, one resource per account and region. */
const observation = (scope: DescribeScope, observed: FootprintObservation) =>
  sweepEvent(scope, {
    eventSource: 'events.amazonaws.com',
    eventName: FOOTPRINT_OBSERVATION,
    resourceId: footprintResourceId(scope.account, scope.region),
    requestParameters: { ...observed },
  });

/**
 * driftguard's own footprint in one account and region, read as the member template creates it:
 * the forwarding rules on the default bus (named with the stage's prefix: state, pattern, targets)
 * and, once per account, the remediation role's trust policy. The expected rules come from the
 * builder the template uses (core expectedForwardingRules: global events only in their region, the
 * GuardDuty rule only when members forward findings). driftguard-integrity judges the observation.
 *
 * Whatever cannot be read is itself the observation ("cannot verify"), never an empty footprint
 * that would pass: the unit still fails afterwards so the run counts it and SQS retries it. Errors
 * of load and time (throttling, 5xx, timeouts) only fail the unit, to be retried.
 */
export const footprintDescriber: Describer = {
  id: 'driftguard-footprint',
  rules: ['driftguard-integrity'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    if (!scope.config) {
      yield observation(scope, {
        expectedRules: [],
        rules: [],
        unreadable: "the sweep was run without driftguard's config, so there is nothing to compare with",
      });
      return;
    }
    let observed: FootprintObservation;
    try {
      observed = await observe(scope, scope.config);
    } catch (error) {
      if (!isTransientError(error))
        yield observation(scope, {
          expectedRules: [],
          rules: [],
          unreadable: describeError(error),
        });
      throw error;
    }
    yield observation(scope, observed);
  },
};
