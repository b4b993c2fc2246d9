import type { VpcEndpointServiceConfig } from '../config';
import type { Change } from '../events/change';
import { isRecord, pick, stringList, toBool, toStr, unwrap } from '../events/ec2-sets';
import type { Operation, Target } from '../operations';
import type { TrustZone } from '../trust-zone';
import type { Offense, ResourceRef, Severity, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

export type PrincipalClass =
  | { status: 'trusted'; reason: string }
  | { status: 'offending'; severity: Severity; reason: string };

const IAM_ARN = /^arn:aws[a-z-]*:iam::([^:]*):(.+)$/;
const ORG_ARN = /^arn:aws[a-z-]*:organizations::\d{12}:(?:organization|ou)\/(o-[a-z0-9]+)(?:\/|$)/;

/**
 * Is one principal allowed on an endpoint service inside the trust zone? `*` (everyone) and
 * wildcard accounts are critical; an account (root, user, role ARN, or a bare id) outside the
 * trust zone and not in `allowedPrincipals` is high. An Organizations ARN is trusted when it names
 * the trust zone's organization.
 */
export function classifyServicePrincipal(
  principal: string,
  options: { ownAccount: string; trustZone: TrustZone; settings: VpcEndpointServiceConfig },
): PrincipalClass {
  if (principal === '*') {
    return {
      status: 'offending',
      severity: 'critical',
      reason: '"*" lets every AWS account create an endpoint to this service',
    };
  }
  const account = /^\d{12}$/.test(principal) ? principal : IAM_ARN.exec(principal)?.[1];
  if (options.settings.allowedPrincipals.includes(principal)) {
    return { status: 'trusted', reason: `${principal} is in allowedPrincipals` };
  }
  if (account !== undefined && options.settings.allowedPrincipals.includes(account)) {
    return { status: 'trusted', reason: `account ${account} is in allowedPrincipals` };
  }
  if (account !== undefined && /[*?]/.test(account)) {
    return {
      status: 'offending',
      severity: 'critical',
      reason: `${principal} matches any account`,
    };
  }
  if (account !== undefined && /^\d{12}$/.test(account)) {
    if (account === options.ownAccount)
      return { status: 'trusted', reason: `${principal} is the service owner's account` };
    if (options.trustZone.accounts.has(account)) {
      return { status: 'trusted', reason: `account ${account} is in the trust zone` };
    }
    return {
      status: 'offending',
      severity: 'high',
      reason: `${principal}: account ${account} is outside the trust zone`,
    };
  }
  const organization = ORG_ARN.exec(principal)?.[1];
  if (organization && organization === options.trustZone.organizationId) {
    return { status: 'trusted', reason: `${principal} is the trust zone's organization` };
  }
  return {
    status: 'offending',
    severity: 'high',
    reason: `${principal} is not a principal of the trust zone`,
  };
}

function serviceRef(target: Target, serviceId: string | undefined): ResourceRef {
  return {
    type: 'AWS::EC2::VPCEndpointService',
    id: serviceId ?? 'unknown endpoint service',
    ...(serviceId
      ? { arn: `arn:aws:ec2:${target.region}:${target.account}:vpc-endpoint-service/${serviceId}` }
      : {}),
  };
}

function evaluatePermissions(
  change: Change,
  context: { trustZone: TrustZone; settings: VpcEndpointServiceConfig },
): Verdict {
  const request = unwrap(change.request, 'ModifyVpcEndpointServicePermissionsRequest');
  const serviceId = toStr(pick(request, 'ServiceId', 'serviceId'));
  const added = [...new Set(stringList(pick(request, 'AddAllowedPrincipals', 'addAllowedPrincipals')))];
  const target = { account: change.account, region: change.region };
  const resource = serviceRef(target, serviceId);
  if (added.length === 0) {
    return { kind: 'not-applicable', summary: `no principal added to ${resource.id} (only removals)` };
  }
  const offenses: Offense[] = [];
  const trusted: string[] = [];
  for (const principal of added) {
    const verdict = classifyServicePrincipal(principal, { ownAccount: change.account, ...context });
    if (verdict.status === 'trusted') trusted.push(verdict.reason);
    if (verdict.status === 'offending') {
      offenses.push({
        id: principal,
        severity: verdict.severity,
        reason: verdict.reason,
        remediable: serviceId !== undefined,
      });
    }
  }
  if (offenses.length === 0) {
    return {
      kind: 'compliant',
      resource,
      summary: `${added.length} principal(s) added to ${resource.id}, all inside the trust zone or allowlisted: ${trusted.join('; ')}`,
    };
  }
  const remediation: Operation[] = serviceId
    ? [
        {
          service: 'ec2',
          operation: 'ModifyVpcEndpointServicePermissions',
          target,
          input: { ServiceId: serviceId, RemoveAllowedPrincipals: offenses.map((offense) => offense.id) },
        },
      ]
    : [];
  return {
    kind: 'violation',
    severity: maxSeverity(offenses.map((offense) => offense.severity)),
    resource,
    summary: `${offenses.length} of ${added.length} principal(s) added to endpoint service ${resource.id} are outside the trust zone`,
    offenses,
    remediation,
  };
}

function evaluateConfiguration(change: Change): Verdict {
  const action = change.eventName;
  const request = unwrap(change.request, `${action}Request`);
  const response = unwrap(change.response, `${action}Response`);
  const reported = pick(response, 'serviceConfiguration', 'ServiceConfiguration');
  const configuration = isRecord(reported) ? reported : {};
  const serviceId =
    toStr(pick(request, 'ServiceId', 'serviceId')) ?? toStr(pick(configuration, 'serviceId', 'ServiceId'));
  const acceptance =
    toBool(pick(configuration, 'acceptanceRequired', 'AcceptanceRequired')) ??
    toBool(pick(request, 'AcceptanceRequired', 'acceptanceRequired'));
  const target = { account: change.account, region: change.region };
  const resource = serviceRef(target, serviceId);
  if (acceptance === undefined) {
    return { kind: 'not-applicable', summary: `${action} did not set AcceptanceRequired on ${resource.id}` };
  }
  if (acceptance) {
    return {
      kind: 'compliant',
      resource,
      summary: `${resource.id} requires acceptance of every endpoint connection`,
    };
  }
  return {
    kind: 'violation',
    severity: 'high',
    resource,
    summary: `endpoint service ${resource.id} no longer requires acceptance of endpoint connections`,
    offenses: [
      {
        id: 'AcceptanceRequired',
        severity: 'high',
        reason: `AcceptanceRequired=false on ${resource.id}: every allowed principal can connect without review`,
        remediable: serviceId !== undefined,
      },
    ],
    remediation: serviceId
      ? [
          {
            service: 'ec2',
            operation: 'ModifyVpcEndpointServiceConfiguration',
            target,
            input: { ServiceId: serviceId, AcceptanceRequired: true },
          },
        ]
      : [],
  };
}

export const vpcEndpointService: Guardrail = {
  id: 'vpc-endpoint-service',
  title: 'Endpoint service open beyond the trust zone',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [
    {
      eventSource: 'ec2.amazonaws.com',
      eventNames: [
        'ModifyVpcEndpointServicePermissions',
        'CreateVpcEndpointServiceConfiguration',
        'ModifyVpcEndpointServiceConfiguration',
      ],
    },
  ],
  evaluate(change: Change, { config, trustZone }): Verdict {
    if (change.eventName === 'ModifyVpcEndpointServicePermissions') {
      return evaluatePermissions(change, { trustZone, settings: config.rules['vpc-endpoint-service'] });
    }
    return evaluateConfiguration(change);
  },
};

/** What RULES.md says of `vpcEndpointService` (`npm run rules:docs`; the functions do not ship it). */
export const vpcEndpointServiceDocs: GuardrailDocs = {
  rationale:
    'A PrivateLink endpoint service is how zero trust shares one service without joining networks, but only while it stays closed: allowing "*" (or accounts outside the organization) and turning off acceptance lets anyone who learns the service name plug an endpoint into it.',
  violation:
    "ModifyVpcEndpointServicePermissions adding `*` (critical), a wildcard account (critical), or a principal whose account is outside the trust zone and not in `allowedPrincipals` (high); an Organizations ARN is trusted when it names the trust zone's organization. CreateVpcEndpointServiceConfiguration or ModifyVpcEndpointServiceConfiguration with AcceptanceRequired false (high). Wrapped (`…Request`/`…Response`) and flat records, and every list form (string, array, `{tag, content}` items), are read.",
  revert:
    'ModifyVpcEndpointServicePermissions with RemoveAllowedPrincipals of exactly the offending principals the call added (compliant principals it added, and every principal it did not touch, stay), verified with DescribeVpcEndpointServicePermissions; ModifyVpcEndpointServiceConfiguration with AcceptanceRequired=true, verified with DescribeVpcEndpointServiceConfigurations.',
};
