import type { Config } from '../config';
import type { Change } from '../events/change';
import { isRecord, toStr } from '../events/ec2-sets';
import {
  type ExpectedRule,
  FOOTPRINT_OBSERVATION,
  FORWARDING_TARGET_ID,
  type FootprintObservation,
  footprintResourceId,
  forwardingRoleName,
  isStackSetExecution,
  MEMBER_ROLE_PATH,
  type ObservedRule,
  partitionOf,
  remediationTrustPolicy,
} from '../footprint';
import type { ForwardingTarget, Operation, Target } from '../operations';
import { patternDifferences, samePattern } from '../pattern-diff';
import { parsePolicy, policyFingerprint } from '../policy/document';
import type { TrustZone } from '../trust-zone';
import type { Offense, ResourceRef, Severity, Verdict } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

const RULE_EVENTS = ['DeleteRule', 'DisableRule', 'PutRule', 'RemoveTargets', 'PutTargets'] as const;
const ROLE_EVENTS = [
  'UpdateAssumeRolePolicy',
  'PutRolePolicy',
  'DeleteRolePolicy',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'DeleteRole',
  'UpdateRole',
  'UpdateRoleDescription',
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
] as const;

const RERUN =
  'only the StackSet can put it back exactly: run drift detection on the driftguard member StackSet and update the stack instance of this account and region';

/** CloudTrail writes EventBridge and IAM parameters in camelCase; accept the SDK's PascalCase too. */
function param(request: Record<string, unknown>, name: string): unknown {
  return request[name] ?? request[name.charAt(0).toUpperCase() + name.slice(1)];
}

/** A rule on the account's default bus: no bus named, `default`, or the default bus's ARN. */
function onDefaultBus(request: Record<string, unknown>): boolean {
  const bus = toStr(param(request, 'eventBusName'));
  return bus === undefined || bus === 'default' || /:event-bus\/default$/.test(bus);
}

/**
 * The template's trust policy as deployed, when every value it needs is known: the central role
 * and external id from config (the deployment sets both), the organization from config or, as the
 * template is given the deployment's organization, the trust zone's.
 */
function templateTrust(config: Config, zone: TrustZone): string | undefined {
  const { centralRoleArn, externalId } = config;
  const organizationId = config.organizationId ?? zone.organizationId;
  if (!centralRoleArn || !organizationId || !externalId) return undefined;
  return JSON.stringify(remediationTrustPolicy({ centralRoleArn, organizationId, externalId }));
}

const sameDocument = (a: string, b: string): boolean => {
  const left = parsePolicy(a);
  const right = parsePolicy(b);
  return (
    left.ok && right.ok && policyFingerprint(left.policy.source) === policyFingerprint(right.policy.source)
  );
};

/** The target the template gives a forwarding rule in this account and region, when config knows the bus. */
function templateTarget(config: Config, target: Target): ForwardingTarget | undefined {
  const bus = config.footprint.centralBusArn;
  if (!bus) return undefined;
  const partition = partitionOf(bus) ?? 'aws';
  const role = forwardingRoleName(config.footprint.forwardingPrefix, target.region);
  return {
    Id: FORWARDING_TARGET_ID,
    Arn: bus,
    RoleArn: `arn:${partition}:iam::${target.account}:role${MEMBER_ROLE_PATH}${role}`,
  };
}

function restoreTarget(config: Config, target: Target, rule: string, removeIds: string[]): Operation[] {
  const wanted = templateTarget(config, target);
  if (!wanted) return [];
  return [
    {
      service: 'events',
      operation: 'RestoreForwardingTarget',
      target,
      input: { Rule: rule, EventBusName: 'default', Target: wanted, RemoveIds: removeIds },
    },
  ];
}

const enableRule = (target: Target, name: string): Operation => ({
  service: 'events',
  operation: 'EnableRule',
  target,
  input: { Name: name, EventBusName: 'default' },
});

function violation(
  resource: ResourceRef,
  summary: string,
  offenses: Offense[],
  remediation: Operation[],
): Verdict {
  return { kind: 'violation', severity: 'critical', resource, summary, offenses, remediation };
}

/** A change to one of driftguard's forwarding rules on the default bus. */
function judgeRuleChange(change: Change, config: Config, name: string): Verdict {
  const target: Target = { account: change.account, region: change.region };
  const resource: ResourceRef = {
    type: 'AWS::Events::Rule',
    id: name,
    arn: `arn:${partitionOf(config.footprint.centralBusArn) ?? 'aws'}:events:${change.region}:${change.account}:rule/${name}`,
  };
  const who = change.actor.arn ?? change.actor.type;
  const offense = (reason: string, remediable: boolean): Offense => ({
    id: name,
    severity: 'critical',
    reason,
    remediable,
  });
  const summary = (what: string) =>
    `driftguard's forwarding rule ${name} ${what} by ${who}, not by the StackSet: events of this account and region may no longer reach driftguard`;
  switch (change.eventName) {
    case 'DisableRule':
      return violation(
        resource,
        summary('was disabled'),
        [offense('disabled: nothing it matches is forwarded until it is enabled again', true)],
        [enableRule(target, name)],
      );
    case 'DeleteRule':
      return violation(resource, summary('was deleted'), [offense(`deleted: ${RERUN}`, false)], []);
    case 'PutRule': {
      const state = toStr(param(change.request, 'state'));
      const disabled = state !== undefined && state !== 'ENABLED';
      return violation(
        resource,
        summary('was rewritten (PutRule)'),
        [
          offense(
            `its pattern, state or description was replaced${disabled ? ` (state ${state})` : ''}: ${RERUN}`,
            disabled,
          ),
        ],
        disabled ? [enableRule(target, name)] : [],
      );
    }
    case 'RemoveTargets': {
      const ids = asStrings(param(change.request, 'ids'));
      const operations = restoreTarget(config, target, name, []);
      return violation(
        resource,
        summary(`lost target(s) ${ids.join(', ') || '(unnamed)'}`),
        [
          offense(
            operations.length > 0
              ? 'its target was removed: the central bus target is put back from the template'
              : `its target was removed and footprint.centralBusArn is not configured: ${RERUN}`,
            operations.length > 0,
          ),
        ],
        operations,
      );
    }
    default: {
      // PutTargets: a target added (events copied elsewhere) or the central target replaced.
      const targets = asTargets(param(change.request, 'targets'));
      const wanted = templateTarget(config, target);
      const foreign = targets.filter((t) => t.id !== FORWARDING_TARGET_ID).map((t) => t.id);
      const ours = targets.find((t) => t.id === FORWARDING_TARGET_ID);
      const replaced =
        ours !== undefined && (!wanted || ours.arn !== wanted.Arn || ours.roleArn !== wanted.RoleArn);
      const operations = restoreTarget(config, target, name, foreign);
      const parts = [
        ...(foreign.length > 0 ? [`target(s) ${foreign.join(', ')} added (events copied elsewhere)`] : []),
        ...(replaced ? [`the central bus target set to ${ours?.arn ?? 'an unknown ARN'}`] : []),
      ];
      return violation(
        resource,
        summary(`was retargeted (${parts.join('; ') || 'PutTargets'})`),
        [
          offense(
            `${parts.join('; ') || 'its targets were put again'}${operations.length > 0 ? ': the template target is restored and added targets removed' : `: footprint.centralBusArn is not configured, ${RERUN}`}`,
            operations.length > 0,
          ),
        ],
        operations,
      );
    }
  }
}

/** A change to the remediation role or a forwarding role. */
function judgeRoleChange(change: Change, config: Config, zone: TrustZone, roleName: string): Verdict {
  const partition = partitionOf(change.actor.roleArn ?? change.actor.arn) ?? 'aws';
  const resource: ResourceRef = {
    type: 'AWS::IAM::Role',
    id: roleName,
    arn: `arn:${partition}:iam::${change.account}:role/${roleName}`,
  };
  const who = change.actor.arn ?? change.actor.type;
  const remediationRole = roleName === config.remediationRoleName;
  const what = remediationRole
    ? 'the role driftguard reverts with (whoever it trusts acts as driftguard, and is never reverted)'
    : 'the role that forwards events to driftguard';
  const summary = `${change.eventName} on ${roleName}, ${what}, by ${who}, not by the StackSet`;
  if (change.eventName === 'UpdateAssumeRolePolicy' && remediationRole) {
    const document = toStr(param(change.request, 'policyDocument'));
    const template = templateTrust(config, zone);
    if (document && template && sameDocument(document, template)) {
      return {
        kind: 'compliant',
        resource,
        summary: `${roleName}'s trust policy was set to exactly the template's`,
      };
    }
    const operations: Operation[] = template
      ? [
          {
            service: 'iam',
            operation: 'RestoreRemediationTrust',
            target: { account: change.account, region: change.region },
            input: { RoleName: roleName, PolicyDocument: template },
          },
        ]
      : [];
    return violation(
      resource,
      summary,
      [
        {
          id: roleName,
          severity: 'critical',
          reason: template
            ? 'its trust policy no longer matches the template: whoever it now trusts can act as driftguard; the template trust policy is restored'
            : `its trust policy was changed and centralRoleArn, organizationId or externalId is not configured: ${RERUN}`,
          remediable: template !== undefined,
        },
      ],
      operations,
    );
  }
  const reason =
    change.eventName === 'DeleteRole'
      ? `deleted: ${remediationRole ? 'driftguard can no longer act in this account; ' : ''}${RERUN}`
      : `${change.eventName} changed its permissions or settings: ${RERUN}`;
  return violation(
    resource,
    summary,
    [{ id: roleName, severity: 'critical', reason, remediable: false }],
    [],
  );
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(toStr).filter((v): v is string => v !== undefined) : [];
}

function asTargets(value: unknown): { id: string; arn?: string; roleArn?: string }[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).flatMap((t) => {
    const id = toStr(param(t, 'id'));
    if (!id) return [];
    const arn = toStr(param(t, 'arn'));
    const roleArn = toStr(param(t, 'roleArn'));
    return [{ id, ...(arn ? { arn } : {}), ...(roleArn ? { roleArn } : {}) }];
  });
}

function observationOf(change: Change): FootprintObservation | undefined {
  const request = change.request;
  if (!Array.isArray(request.expectedRules) || !Array.isArray(request.rules)) return undefined;
  const named = (entry: unknown) => isRecord(entry) && typeof entry.name === 'string';
  if (!request.expectedRules.every(named) || !request.rules.every(named)) return undefined;
  return request as unknown as FootprintObservation;
}

/** The live rule's pattern against the template's: what differs, or why it cannot be compared. */
function patternGaps(expected: ExpectedRule, rule: ObservedRule): string[] {
  if (rule.pattern === undefined) return ['it has no event pattern'];
  let found: unknown;
  try {
    found = JSON.parse(rule.pattern);
  } catch {
    return ['its event pattern is not JSON'];
  }
  return samePattern(expected.pattern, found) ? [] : patternDifferences(expected.pattern, found);
}

/**
 * The sweep's reading of one account and region, compared with what the template creates there.
 * A value the comparison needs but the deployment did not set is a gap too ("cannot verify"): an
 * unchecked footprint is never reported as matching.
 */
function judgeObservation(
  change: Change,
  config: Config,
  zone: TrustZone,
  observed: FootprintObservation,
): Verdict {
  const where = `${change.account}/${change.region}`;
  const target: Target = { account: change.account, region: change.region };
  const resource: ResourceRef = {
    type: 'AWS::CloudFormation::StackInstance',
    id: footprintResourceId(change.account, change.region),
  };
  if (observed.unreadable) {
    return violation(
      resource,
      `cannot verify driftguard's footprint in ${where}: ${observed.unreadable} (a silent account is not all clear)`,
      [
        {
          id: 'unreadable',
          severity: 'critical',
          reason: `cannot verify driftguard's footprint: ${observed.unreadable}`,
          remediable: false,
        },
      ],
      [],
    );
  }
  const offenses: Offense[] = [];
  const operations: Operation[] = [];
  const gap = (id: string, reason: string, fix: Operation[] = [], severity: Severity = 'critical') => {
    offenses.push({ id, severity, reason, remediable: fix.length > 0 });
    operations.push(...fix);
  };
  const expected = new Map<string, ExpectedRule>(observed.expectedRules.map((rule) => [rule.name, rule]));
  const byName = new Map<string, ObservedRule>(observed.rules.map((rule) => [rule.name, rule]));
  for (const name of expected.keys())
    if (!byName.has(name)) gap(name, `forwarding rule ${name} is missing: ${RERUN}`);
  const wantedTarget = templateTarget(config, target);
  if (!wantedTarget && observed.rules.length > 0)
    gap(
      'footprint.centralBusArn',
      "cannot verify driftguard's footprint: footprint.centralBusArn is not configured, so where the rules send events is not checked",
    );
  for (const rule of observed.rules) {
    const template = expected.get(rule.name);
    if (!template) {
      // Reported, never "repaired": enabling it or giving it the central target would forward
      // whatever its author's pattern matches to the central bus.
      gap(
        rule.name,
        `${rule.name} carries driftguard's prefix but the template creates no such rule in ${change.region}: a leftover of an older template, or a look-alike`,
        [],
        'high',
      );
      continue;
    }
    const differences = patternGaps(template, rule);
    if (differences.length > 0)
      gap(
        `${rule.name}/pattern`,
        `${rule.name}'s event pattern differs from the template (${differences.join('; ')}): events it should forward may be dropped: ${RERUN}`,
      );
    if (rule.state !== 'ENABLED')
      gap(rule.name, `${rule.name} is ${rule.state ?? 'in an unknown state'}`, [
        enableRule(target, rule.name),
      ]);
    const ours = rule.targets.find((t) => t.id === FORWARDING_TARGET_ID);
    const foreign = rule.targets.filter((t) => t.id !== FORWARDING_TARGET_ID).map((t) => t.id);
    const wrong =
      !ours ||
      (wantedTarget !== undefined &&
        (ours.arn !== wantedTarget.Arn || ours.roleArn !== wantedTarget.RoleArn));
    if (wrong || foreign.length > 0) {
      const what = [
        ...(!ours ? ['its central bus target is missing'] : []),
        ...(ours && wrong && ours.arn !== wantedTarget?.Arn
          ? [`its target sends events to ${ours.arn ?? 'nothing'}, not the central bus ${wantedTarget?.Arn}`]
          : []),
        ...(ours && wrong && ours.arn === wantedTarget?.Arn
          ? [`its target uses role ${ours.roleArn ?? '(none)'}, not ${wantedTarget?.RoleArn}`]
          : []),
        ...(foreign.length > 0 ? [`extra target(s) ${foreign.join(', ')} copy events elsewhere`] : []),
      ].join('; ');
      const fix = restoreTarget(config, target, rule.name, foreign);
      gap(`${rule.name}/targets`, fix.length > 0 ? what : `${what}: ${RERUN}`, fix);
    }
  }
  if (observed.role === null) {
    gap(config.remediationRoleName, `${config.remediationRoleName} does not exist: ${RERUN}`);
  } else if (observed.role) {
    const template = templateTrust(config, zone);
    if (!template) {
      gap(
        config.remediationRoleName,
        `cannot verify driftguard's footprint: ${config.remediationRoleName}'s trust policy is not checked, as centralRoleArn, organizationId and externalId are not all configured`,
      );
    } else if (!sameDocument(observed.role.trustPolicy, template)) {
      gap(
        config.remediationRoleName,
        `${config.remediationRoleName}'s trust policy differs from the template (${trustDifference(observed.role.trustPolicy, config)}): whoever it trusts can act as driftguard`,
        [
          {
            service: 'iam',
            operation: 'RestoreRemediationTrust',
            target,
            input: { RoleName: config.remediationRoleName, PolicyDocument: template },
          },
        ],
      );
    }
  }
  const checked = `${observed.rules.length} forwarding rule(s)${observed.role !== undefined ? ` and ${config.remediationRoleName}` : ''}`;
  if (offenses.length === 0) {
    return {
      kind: 'compliant',
      resource,
      summary: `driftguard's footprint in ${where} matches the template (${checked})`,
    };
  }
  return violation(
    resource,
    `driftguard's footprint in ${where} differs from the template: ${offenses.length} gap(s): ${offenses
      .map((offense) => offense.id)
      .join(', ')}`,
    offenses,
    operations,
  );
}

/**
 * Who the live trust policy lets in besides the template's central role, in a few words: the
 * principals it names that are not the central role, or "its conditions" when the principals are
 * the same (the organization or external id pin was changed or dropped).
 */
function trustDifference(document: string, config: Config): string {
  const parsed = parsePolicy(document);
  if (!parsed.ok) return 'it cannot be read as a policy';
  const principals = new Set<string>();
  for (const statement of parsed.policy.statements) {
    if (statement.effect !== 'Allow') continue;
    if (statement.principal?.kind === 'wildcard' || statement.notPrincipal) principals.add('*');
    for (const entry of statement.principal?.kind === 'entries' ? statement.principal.entries : [])
      if (entry.value !== config.centralRoleArn) principals.add(entry.value);
  }
  return principals.size > 0
    ? `it also trusts ${[...principals].slice(0, 5).join(', ')}`
    : 'its conditions or actions changed';
}

export const driftguardIntegrity: Guardrail = {
  id: 'driftguard-integrity',
  title: "Changes to driftguard's own footprint in member accounts",
  severity: 'critical',
  defaultMode: 'revert',
  triggers: [
    { eventSource: 'events.amazonaws.com', eventNames: RULE_EVENTS },
    { eventSource: 'iam.amazonaws.com', eventNames: ROLE_EVENTS },
    { eventSource: 'events.amazonaws.com', eventNames: [FOOTPRINT_OBSERVATION], sweepOnly: true },
  ],
  evaluate(change: Change, { config, trustZone }): Verdict {
    if (change.eventName === FOOTPRINT_OBSERVATION) {
      const observed = observationOf(change);
      // Only the sweep builds observations; a delivered event of that name is not one.
      if (!observed || change.actor.type !== 'driftguard-sweep')
        return { kind: 'not-applicable', summary: 'not a footprint observation of the sweep' };
      return judgeObservation(change, config, trustZone, observed);
    }
    const prefix = config.footprint.forwardingPrefix;
    const request = change.request;
    let judge: (() => Verdict) | undefined;
    if (change.eventSource === 'events.amazonaws.com') {
      const name = toStr(param(request, change.eventName.endsWith('Targets') ? 'rule' : 'name'));
      if (name?.startsWith(prefix) && onDefaultBus(request))
        judge = () => judgeRuleChange(change, config, name);
    } else {
      const roleName = toStr(param(request, 'roleName'));
      if (roleName === config.remediationRoleName || roleName?.startsWith(prefix))
        judge = () => judgeRoleChange(change, config, trustZone, roleName as string);
    }
    if (!judge) return { kind: 'not-applicable', summary: "not one of driftguard's member resources" };
    if (isStackSetExecution(change.actor, change.account)) {
      return {
        kind: 'compliant',
        summary: `${change.eventName} made by the StackSet's own execution role (${change.actor.roleArn})`,
      };
    }
    return judge();
  },
};

/** What RULES.md says of `driftguardIntegrity` (`npm run rules:docs`; the functions do not ship it). */
export const driftguardIntegrityDocs: GuardrailDocs = {
  rationale:
    'driftguard only sees what its forwarding rules send and only reverts through its remediation role. Whoever disables a rule, removes its target, or re-trusts the role silences driftguard in that account, or acts as driftguard and is never reverted. Only the StackSet that deployed them may change them.',
  violation:
    "Any change to a forwarding rule on the default bus named with `footprint.forwardingPrefix` (DeleteRule, DisableRule, PutRule, RemoveTargets, PutTargets), to the remediation role (`remediationRoleName`) or to a per-region forwarding role (UpdateAssumeRolePolicy, Put/DeleteRolePolicy, Attach/DetachRolePolicy, DeleteRole, UpdateRole, UpdateRoleDescription, Put/DeleteRolePermissionsBoundary), unless made by the StackSet's own execution role in the event's own account (`stacksets-exec-*` for service-managed StackSets, `AWSCloudFormationStackSetExecutionRole` for self-managed ones, at the root path), is critical. A trust policy set to exactly the template's is compliant. The sweep (describer `driftguard-footprint`) reads every account and region and compares it with exactly what the member template creates there (the IAM rule only in us-east-1, the GuardDuty rule only when members forward findings): a missing or disabled rule, a pattern that differs (named by path: event names lost or gained, filters added or removed), a target sent to another bus or role, an extra target, a missing role, a trust policy that differs from the template (naming who else it trusts) are critical, a rule with the prefix the template does not create is high; a footprint that cannot be read (the role refused, a call denied) or a comparison the deployment's settings do not allow is a critical \"cannot verify\" finding, never a pass. IAM events reach EventBridge only in us-east-1, so the IAM forwarding rule lives there.",
  revert:
    "Exact reverts only: DisableRule (and PutRule with a disabled state) → EnableRule, verified ENABLED; RemoveTargets → the template's central bus target put back (PutTargets) and PutTargets → targets the change added removed and the central target restored, verified with ListTargetsByRule (needs `footprint.centralBusArn`); UpdateAssumeRolePolicy on the remediation role → the template's trust policy restored, verified with GetRole (needs `centralRoleArn`, `organizationId`, `externalId`). DeleteRule, DeleteRole and policy changes have no exact revert: critical alert saying the StackSet must be drift-detected and its stack instance updated.",
};
