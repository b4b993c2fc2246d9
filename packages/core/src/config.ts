import * as z from 'zod/mini';
import { enforcementConfigShape } from './enforcement-config';
import {
  iamRoleTrustSchema,
  lambdaPublicSchema,
  publicSnapshotSchema,
  resourcePolicySchema,
  s3AccessPointPolicySchema,
} from './exposure-config';
import { guarddutyFindingSchema } from './guardduty-config';
import { readCidr } from './net/cidr';
import { notificationsSchema } from './notifications-config';
import { parsePolicy } from './policy/document';
import { safeParseWithMessages } from './schema';

/** What driftguard does with a violation of a guardrail. */
export const MODES = ['revert', 'alert', 'ticket', 'shadow', 'off'] as const;
export type Mode = (typeof MODES)[number];

const accountId = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'));
const securityGroupId = z
  .string()
  .check(z.regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id (sg-…)'));
const prefixListId = z.string().check(z.regex(/^pl-[0-9a-f]{8,17}$/, 'must be a prefix list id (pl-…)'));
/** A CIDR in canonical form (see net/cidr.ts): a spelling parsers read differently is an error. */
const cidr = z.string().check(
  z.superRefine((value, context) => {
    const reading = readCidr(value);
    if (reading.ok) return;
    const write =
      reading.canonical.length > 0
        ? `write ${reading.canonical.map((text) => JSON.stringify(text)).join(' or ')}`
        : 'write a CIDR such as "10.0.0.0/8" or "fc00::/7"';
    context.addIssue({ code: 'custom', message: `${reading.reason}: ${write}` });
  }),
);
/** A port (22) or an inclusive range ("8000-8080"). */
const port = z.number().check(z.int(), z.minimum(0), z.maximum(65535));
const portSpec = z.union([
  port,
  z.string().check(
    z.regex(/^\d{1,5}-\d{1,5}$/, 'must be a port number or a range such as "8000-8080"'),
    z.refine((range) => {
      const [from, to] = range.split('-').map(Number);
      return from !== undefined && to !== undefined && from <= to && to <= 65535;
    }, 'range must go from low to high within 0-65535'),
  ),
]);
export type PortSpec = z.infer<typeof portSpec>;

/** RFC 1918, carrier-grade NAT (RFC 6598) and IPv6 unique local addresses. */
export const DEFAULT_TRUSTED_CIDRS = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
] as const;

/**
 * Remote administration and data stores: opening one of these to the whole internet is how
 * ransomware crews and cryptominers get in, so such a rule is critical rather than high.
 */
export const DEFAULT_CRITICAL_PORTS = [
  22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 2379, 3306, 3389, 5432, 5900, 5985, 5986, 6379, 9200, 11211,
  27017,
] as const;

const mode = z.enum(MODES);

/** `mode`, defaulting to revert: the setting every guardrail has. */
const revertByDefault = z._default(mode, 'revert');

const sgOpenIngressSchema = z.strictObject({
  mode: revertByDefault,
  /** Security groups allowed to be open to any CIDR (e.g. a public load balancer's group). */
  allowedSecurityGroups: z._default(z.array(securityGroupId), []),
  /** Per security group, ports that may be open to any CIDR (e.g. 443 on a web tier). */
  allowedPorts: z._default(z.record(securityGroupId, z.array(portSpec)), {}),
  /**
   * Managed prefix lists trusted as they are (e.g. an AWS-managed list a group should accept). Any
   * other customer-managed list's entries are read live and judged like CIDRs; an AWS-managed list
   * not named here is alerted on, never reverted.
   */
  trustedPrefixLists: z._default(z.array(prefixListId), []),
  criticalPorts: z._default(z.array(port), [...DEFAULT_CRITICAL_PORTS]),
});

const vpcId = z.string().check(z.regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id (vpc-…)'));
/** One side of a VPC peering: the VPC and the account that owns it. */
const peeringSide = z.strictObject({ account: accountId, vpc: vpcId });

const vpcPeeringSchema = z.strictObject({
  mode: revertByDefault,
  /**
   * Peerings that may exist, as pairs of sides; the order of a pair does not matter. Any other
   * peering is a violation (zero trust prefers PrivateLink endpoint services to joining networks).
   */
  allowedPeerings: z._default(z.array(z.tuple([peeringSide, peeringSide])), []),
});

const vpcEndpointServiceSchema = z.strictObject({
  mode: revertByDefault,
  /**
   * Principals outside the trust zone that may still be allowed on endpoint services (e.g. a
   * customer account of a SaaS offered over PrivateLink): principal ARNs or 12-digit account ids.
   * "*" can never be allowed here.
   */
  allowedPrincipals: z._default(
    z.array(
      z.string().check(
        z.minLength(1),
        z.refine((value) => value !== '*', '"*" (everyone) cannot be allowlisted'),
      ),
    ),
    [],
  ),
});

const defaultSgInUseSchema = z.strictObject({
  mode: revertByDefault,
});

const managedPrefixListSchema = z.strictObject({
  mode: revertByDefault,
});

/** A policy document as JSON text or as an object; kept as JSON text. */
const policyDocument = z
  .pipe(
    z.union([z.string(), z.record(z.string(), z.unknown())]),
    z.transform((value) => (typeof value === 'string' ? value : JSON.stringify(value))),
  )
  .check(
    z.superRefine((text, context) => {
      const parsed = parsePolicy(text);
      if (!parsed.ok)
        context.addIssue({ code: 'custom', message: `must be a policy document: ${parsed.reason}` });
    }),
  );
/** A principal trusted by name (ARN, canonical user id, CloudFront OAI ARN); never "*". */
const trustedPrincipal = z.string().check(
  z.minLength(1),
  z.refine((value) => value !== '*', '"*" (everyone) cannot be trusted'),
);

const s3BucketPolicySchema = z.strictObject({
  mode: revertByDefault,
  /**
   * remove-statements: take out exactly the offending statements (DeleteBucketPolicy when none
   * remain). last-known-good: put back the last compliant policy seen, else remove statements.
   */
  restore: z._default(z.enum(['remove-statements', 'last-known-good']), 'remove-statements'),
  /** Principals outside the zone that may still be granted (a CloudFront OAI, a partner role ARN). */
  trustedPrincipals: z._default(z.array(trustedPrincipal), []),
  /** Count aws:SourceIp / aws:SourceVpc / aws:SourceVpce as pinning "*" to the trust zone (default: no). */
  networkConditionsPin: z._default(z.boolean(), false),
});

const s3PublicAccessBlockSchema = z.strictObject({
  mode: revertByDefault,
  /** Buckets that may turn public access block settings off (e.g. a deliberately public website). */
  allowedBuckets: z._default(z.array(z.string().check(z.minLength(3), z.maxLength(63))), []),
});

const vpcEndpointPolicySchema = z.strictObject({
  mode: revertByDefault,
  /**
   * none: only open (any principal and any resource) or out-of-zone grants violate. identity /
   * resource / both: every Allow must also carry that data perimeter.
   */
  requirePerimeter: z._default(z.enum(['none', 'identity', 'resource', 'both']), 'none'),
  /** last-known-good: restore the last compliant policy when known, else the baseline. baseline: always the baseline. */
  restore: z._default(z.enum(['last-known-good', 'baseline']), 'last-known-good'),
  /** The policy a revert puts on; default: AWS's data-perimeter endpoint policy pinned to the organization. */
  baselinePolicy: z.optional(policyDocument),
});

const driftguardIntegritySchema = z.strictObject({
  mode: revertByDefault,
});

/**
 * driftguard's own member-account footprint as infra deploys it (footprint.ts): what the integrity
 * guardrail and the sweep's integrity check compare live state with, and what their reverts restore.
 * Infra sets it; a value left unset means "cannot be checked exactly", and the guardrail alerts
 * instead of reverting.
 */
const footprintSchema = z.strictObject({
  /** Name prefix of the forwarding rules and the per-region forwarding roles (DEFAULT_FORWARDING_PREFIX). */
  forwardingPrefix: z._default(
    z.string().check(z.regex(/^[A-Za-z0-9._-]{3,40}$/, 'must be 3-40 characters of letters, digits and ._-')),
    'driftguard-forward-',
  ),
  /** The central bus every forwarding rule targets. */
  centralBusArn: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._-]+$/,
          'must be an event bus ARN',
        ),
      ),
  ),
  /**
   * Whether member stacks forward their own GuardDuty findings (the stack's ForwardGuardDutyFindings,
   * set when the central account is not the GuardDuty administrator): their GuardDuty rule is expected.
   */
  forwardGuardDutyFindings: z._default(z.boolean(), false),
  /** The member region whose stack instance creates the (global) remediation role. */
  roleRegion: z.optional(
    z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')),
  ),
});

export const configSchema = z.strictObject({
  /** Forces `shadow` everywhere: decide and notify, change nothing (the first week of a rollout). */
  dryRun: z._default(z.boolean(), false),
  /**
   * The role driftguard assumes in member accounts (no path). Its sessions named
   * `driftguard-remediation`, at `arn:<partition>:iam::<the event's account>:role/<name>`, are
   * driftguard's own changes and never acted on (own-identity.ts).
   */
  remediationRoleName: z._default(
    z.string().check(z.regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (no path)')),
    'DriftGuardRemediation',
  ),
  /**
   * The central function role's full ARN (set by infra): its sessions are driftguard's own, in
   * that role's account only.
   */
  centralRoleArn: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@-]{1,64}$/,
          'must be a role ARN without a path (arn:aws:iam::<account>:role/<name>)',
        ),
      ),
  ),
  /** Removed: a name proves nothing; see remediationRoleName and centralRoleArn. */
  ownRoleNames: z.optional(
    z.never({
      error:
        'ownRoleNames was removed: driftguard recognises its own changes by exact role ARN (remediationRoleName in the event’s own account, centralRoleArn), never by name',
    }),
  ),
  footprint: z.prefault(footprintSchema, {}),
  /** sts:ExternalId expected by the member role's trust policy. */
  externalId: z.optional(z.string().check(z.minLength(2))),
  trustedCidrs: z._default(z.array(cidr), [...DEFAULT_TRUSTED_CIDRS]),
  trustedAccounts: z._default(z.array(accountId), []),
  /** The organization id (o-…); read from Organizations when not set. */
  organizationId: z.optional(
    z.string().check(z.regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id such as o-a1b2c3d4e5')),
  ),
  rules: z.prefault(
    z.strictObject({
      'sg-open-ingress': z.prefault(sgOpenIngressSchema, {}),
      'vpc-peering': z.prefault(vpcPeeringSchema, {}),
      'vpc-endpoint-service': z.prefault(vpcEndpointServiceSchema, {}),
      'default-sg-in-use': z.prefault(defaultSgInUseSchema, {}),
      'managed-prefix-list': z.prefault(managedPrefixListSchema, {}),
      'guardduty-finding': z.prefault(guarddutyFindingSchema, {}),
      's3-bucket-policy': z.prefault(s3BucketPolicySchema, {}),
      's3-public-access-block': z.prefault(s3PublicAccessBlockSchema, {}),
      'vpc-endpoint-policy': z.prefault(vpcEndpointPolicySchema, {}),
      'public-snapshot': z.prefault(publicSnapshotSchema, {}),
      'iam-role-trust': z.prefault(iamRoleTrustSchema, {}),
      's3-access-point-policy': z.prefault(s3AccessPointPolicySchema, {}),
      'resource-policy': z.prefault(resourcePolicySchema, {}),
      'lambda-public': z.prefault(lambdaPublicSchema, {}),
      'driftguard-integrity': z.prefault(driftguardIntegritySchema, {}),
    }),
    {},
  ),
  /** Which channels fire per rule and severity, ticket settings, delivery and audit retention. */
  notifications: z.prefault(notificationsSchema, {}),
  /** Overrides per account/OU, infrastructure-as-code actors, exemptions, circuit breaker. */
  ...enforcementConfigShape,
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type SgOpenIngressConfig = Config['rules']['sg-open-ingress'];
export type VpcPeeringConfig = Config['rules']['vpc-peering'];
export type PeeringSide = z.output<typeof peeringSide>;
export type VpcEndpointServiceConfig = Config['rules']['vpc-endpoint-service'];
export type S3BucketPolicyConfig = Config['rules']['s3-bucket-policy'];
export type S3PublicAccessBlockConfig = Config['rules']['s3-public-access-block'];
export type VpcEndpointPolicyConfig = Config['rules']['vpc-endpoint-policy'];
export type FootprintConfig = Config['footprint'];

export type ConfigResult = { ok: true; config: Config } | { ok: false; reason: string };

/** Validates a config object (from JSON) and fills in the defaults. */
export function parseConfig(input: unknown): ConfigResult {
  const parsed = safeParseWithMessages(configSchema, input ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, reason: `invalid config:\n${z.prettifyError(parsed.error)}` };
}

/** The configuration with every default; what a fresh deployment runs with. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
