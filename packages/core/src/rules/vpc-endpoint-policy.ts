import type { Config } from '../config';
import type { Change } from '../events/change';
import { isRecord, toStr, unwrap } from '../events/ec2-sets';
import type { Operation } from '../operations';
import { AWS_DEFAULT_ENDPOINT_POLICY, analyzeEndpointPolicy, type PolicyAnalysis } from '../policy/analyze';
import { type PolicyDocument, parsePolicy } from '../policy/document';
import type { ZoneContext } from '../policy/principals';
import { statementLabel } from '../policy/statements';
import { unreadablePolicyVerdict } from '../policy/unreadable';
import { zoneSnapshot } from '../policy/zone';
import type { TrustZone } from '../trust-zone';
import type { Offense, ResourceRef, Severity, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

export const ENDPOINT_POLICY_SNAPSHOT = 'endpoint-policy';

/** Endpoint types that take no policy (access is governed elsewhere). */
const NO_POLICY_TYPES = new Set(['gatewayloadbalancer', 'resource', 'servicenetwork']);

/**
 * AWS's data-perimeter endpoint policy (aws-samples/data-perimeter-policy-examples,
 * default_endpoint_policy.json): identities of the organization to resources of the organization,
 * plus AWS service principals. Without an organization id, the same perimeter by account.
 */
export function dataPerimeterEndpointPolicy(organizationId: string | undefined, accounts: readonly string[]) {
  const pin = organizationId
    ? { 'aws:PrincipalOrgID': organizationId, 'aws:ResourceOrgID': organizationId }
    : { 'aws:PrincipalAccount': [...accounts], 'aws:ResourceAccount': [...accounts] };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: organizationId
          ? 'AllowRequestsByOrgsIdentitiesToOrgsResources'
          : 'AllowRequestsByZoneIdentitiesToZoneResources',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: pin },
      },
      {
        Sid: 'AllowRequestsByAWSServicePrincipals',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: '*',
        Resource: '*',
        Condition: { Bool: { 'aws:PrincipalIsAWSService': 'true' } },
      },
    ],
  };
}

/** The policy a revert puts on when no last-known-good applies: configured, else the data perimeter. */
export function baselineEndpointPolicy(config: Config, trustZone: TrustZone, owner: string): string {
  const configured = config.rules['vpc-endpoint-policy'].baselinePolicy;
  if (configured) return configured;
  const accounts = [...new Set([owner, ...config.trustedAccounts])].sort();
  return JSON.stringify(dataPerimeterEndpointPolicy(trustZone.organizationId, accounts));
}

export function analyzeEndpointPolicyWith(
  policy: PolicyDocument,
  zone: ZoneContext,
  config: Config,
): PolicyAnalysis {
  return analyzeEndpointPolicy(policy, zone, {
    requirePerimeter: config.rules['vpc-endpoint-policy'].requirePerimeter,
  });
}

export function endpointRef(
  target: { account: string; region: string },
  endpointId: string | undefined,
): ResourceRef {
  return {
    type: 'AWS::EC2::VPCEndpoint',
    id: endpointId ?? 'unknown',
    ...(endpointId
      ? { arn: `arn:aws:ec2:${target.region}:${target.account}:vpc-endpoint/${endpointId}` }
      : {}),
  };
}

const read = (record: Record<string, unknown>, key: string): unknown =>
  record[key] ?? record[key.charAt(0).toLowerCase() + key.slice(1)];

function flag(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

interface EndpointChange {
  endpointId?: string;
  serviceName?: string;
  type?: string;
  /** The policy now in force: text, AWS's default (none given, or reset), or absent (not a policy change). */
  policy?: { text: string } | { default: 'no-policy' | 'reset' };
}

/** The newer EC2 APIs wrap parameters: `requestParameters.CreateVpcEndpointRequest` (PascalCase). */
export function endpointChange(change: Change): EndpointChange {
  const request = unwrap(change.request, `${change.eventName}Request`);
  const response = unwrap(change.response, `${change.eventName}Response`);
  const created = isRecord(response.vpcEndpoint) ? response.vpcEndpoint : {};
  const text = toStr(read(request, 'PolicyDocument'));
  if (change.eventName === 'CreateVpcEndpoint') {
    // Without a PolicyDocument in the request, the response's document is AWS's full-access default.
    return {
      endpointId: toStr(read(created, 'VpcEndpointId')),
      serviceName: toStr(read(request, 'ServiceName')) ?? toStr(read(created, 'ServiceName')),
      type: toStr(read(request, 'VpcEndpointType')) ?? toStr(read(created, 'VpcEndpointType')),
      policy: text ? { text } : { default: 'no-policy' },
    };
  }
  const endpointId = toStr(read(request, 'VpcEndpointId'));
  if (flag(read(request, 'ResetPolicy'))) return { endpointId, policy: { default: 'reset' } };
  return { endpointId, ...(text ? { policy: { text } } : {}) };
}

export const vpcEndpointPolicy: Guardrail = {
  id: 'vpc-endpoint-policy',
  title: 'VPC endpoint policy open beyond the data perimeter',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [{ eventSource: 'ec2.amazonaws.com', eventNames: ['CreateVpcEndpoint', 'ModifyVpcEndpoint'] }],
  evaluate(change: Change, { config, trustZone }): Verdict {
    const target = { account: change.account, region: change.region };
    const endpoint = endpointChange(change);
    const resource = endpointRef(target, endpoint.endpointId);
    if (endpoint.type && NO_POLICY_TYPES.has(endpoint.type.toLowerCase())) {
      return { kind: 'not-applicable', summary: `${endpoint.type} endpoints take no endpoint policy` };
    }
    if (endpoint.serviceName?.startsWith('com.amazonaws.vpce.')) {
      return {
        kind: 'not-applicable',
        summary: `${endpoint.serviceName} is an endpoint service, not an AWS service: it takes no endpoint policy`,
      };
    }
    if (!endpoint.policy) {
      return { kind: 'not-applicable', summary: 'the call changed no endpoint policy' };
    }
    const zone: ZoneContext = { trustZone, owner: change.account };
    const where = endpoint.endpointId ?? 'the new endpoint';
    const offenses: Offense[] = [];
    let analysis: PolicyAnalysis | undefined;
    let text: string | undefined;
    if ('default' in endpoint.policy) {
      offenses.push({
        id: endpoint.policy.default === 'reset' ? 'ResetPolicy' : 'no-policy',
        severity: 'high',
        reason:
          endpoint.policy.default === 'reset'
            ? `ResetPolicy on ${where}: AWS puts back the default full-access policy (any principal, any action, any resource)`
            : `${where} was created without a policy: AWS attaches the default full-access policy (any principal, any action, any resource)`,
        remediable: true,
      });
      const parsed = parsePolicy(AWS_DEFAULT_ENDPOINT_POLICY);
      if (parsed.ok) analysis = analyzeEndpointPolicyWith(parsed.policy, zone, config);
    } else {
      text = endpoint.policy.text;
      const parsed = parsePolicy(text);
      if (!parsed.ok) {
        return unreadablePolicyVerdict(resource, `the endpoint policy of ${where}`, parsed.reason);
      }
      analysis = analyzeEndpointPolicyWith(parsed.policy, zone, config);
      for (const statement of analysis.statements.filter((s) => s.offending)) {
        const severity: Severity = statement.status === 'missing-perimeter' ? 'medium' : 'high';
        offenses.push({
          id: statement.sid ?? `Statement[${statement.index}]`,
          severity,
          reason: `${statementLabel(statement)} ${statement.reason}`,
          remediable: true,
        });
      }
    }
    if (offenses.length === 0) {
      return {
        kind: 'compliant',
        resource,
        summary: `endpoint policy of ${where} stays within the data perimeter`,
        ...(endpoint.endpointId && text
          ? { snapshot: { resourceId: endpoint.endpointId, kind: ENDPOINT_POLICY_SNAPSHOT, document: text } }
          : {}),
      };
    }
    const settings = config.rules['vpc-endpoint-policy'];
    const snapshotOfZone = zoneSnapshot(trustZone, analysis?.zoneAccounts ?? []);
    const operations: Operation[] = endpoint.endpointId
      ? [
          {
            service: 'ec2',
            operation: 'ModifyVpcEndpoint',
            target,
            input: {
              VpcEndpointId: endpoint.endpointId,
              PolicyDocument: baselineEndpointPolicy(config, trustZone, change.account),
            },
            restore: settings.restore,
            zone: snapshotOfZone,
          },
        ]
      : [];
    if (!endpoint.endpointId) {
      for (const offense of offenses) offense.remediable = false;
    }
    return {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource,
      summary: `endpoint policy of ${where} open beyond the data perimeter (${offenses.length} finding(s))`,
      offenses,
      remediation: operations,
    };
  },
};

/** What RULES.md says of `vpcEndpointPolicy` (`npm run rules:docs`; the functions do not ship it). */
export const vpcEndpointPolicyDocs: GuardrailDocs = {
  rationale:
    "A VPC endpoint is the private road out of your network to an AWS service. With the default full-access policy, any credentials — including stolen ones, or an attacker's own account — can use it to move data to buckets and queues outside the organization, unseen by the internet egress controls.",
  violation:
    'CreateVpcEndpoint without a policy (AWS attaches full access), ModifyVpcEndpoint with ResetPolicy (full access again), or a policy with an Allow open on both axes — any principal (no named zone principals, no aws:PrincipalOrgID / aws:PrincipalAccount / aws:PrincipalIsAWSService pin) and any resource ("*" or account-wildcard ARNs, no aws:ResourceOrgID / aws:ResourceAccount pin) — or an Allow naming a principal outside the trust zone (high). With `requirePerimeter: identity | resource | both`, every Allow must also carry that perimeter (medium). Gateway Load Balancer endpoints and endpoints to non-AWS endpoint services take no policy and are not evaluated.',
  revert:
    "ModifyVpcEndpoint with the last-known-good policy when one is known and still compliant (`restore: last-known-good`, the default), else the baseline: `baselinePolicy`, or AWS's data-perimeter endpoint policy pinned to the organization id (aws:PrincipalOrgID + aws:ResourceOrgID, plus AWS service principals); without a known organization, pinned to the owner account and `trustedAccounts`. The executor re-reads the policy with DescribeVpcEndpoints, acts only while it still violates, and reads it back to verify.",
};
