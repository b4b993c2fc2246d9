/**
 * The semantic choices of the policy analyzer, where AWS's documentation leaves room or where
 * third-party linters read it differently. RULES.md renders this list (packages/cli/src/rules-doc.ts):
 * change a behaviour and its line here in the same commit.
 */
export interface SemanticChoice {
  topic: string;
  choice: string;
  /** The AWS documentation (or reasoning) behind it, and who reads it differently. */
  basis: string;
}

export const POLICY_CHOICES: readonly SemanticChoice[] = [
  {
    topic: 'Public (S3)',
    choice:
      'An Allow is public unless it grants only to fixed principals, or a condition limits it to fixed values of one of the keys S3 lists: aws:SourceIp, aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, aws:userid, s3:DataAccessPointArn, s3:DataAccessPointAccount, aws:PrincipalOrgID. Any other key (aws:Referer, aws:PrincipalTag/…) leaves "Principal": "*" public (critical).',
    basis: 'Amazon S3 user guide, "The meaning of public".',
  },
  {
    topic: 'Effective access (aws:PrincipalArn, aws:PrincipalAccount)',
    choice:
      '"Principal": "*" limited by fixed aws:PrincipalArn / aws:PrincipalAccount / aws:PrincipalOrgPaths values reaches exactly those identities: inside the trust zone it is in the zone (compliant), naming the outside it grants outside the trust zone (high, reverted) — in bucket and endpoint policies alike. S3\'s own label is reported beside it: S3 calls such a statement public, because these keys are not on its list, so Block Public Access refuses or restricts it.',
    basis:
      'IAM evaluation: conditions are ANDed, so a fixed aws:PrincipalArn admits only that principal. S3 user guide, "The meaning of public" (the list of keys S3 counts), which is why S3\'s label can differ from who can actually call.',
  },
  {
    topic: 'Access point delegation',
    choice:
      '{"AWS": "*"} limited by s3:DataAccessPointAccount of a fixed account, or by s3:DataAccessPointArn arn:aws:s3:<region>:<account>:accesspoint/* with the account fixed (wildcards only in the region and the access point name), is not public: the bucket hands its access decisions to that account\'s access points. Inside the trust zone it is compliant; another account\'s access points are outside the trust zone. A wildcard account is public.',
    basis:
      'S3 user guide, "Delegating access control to access points" (the bucket policy delegates to the access points of the owner account). Judging the pattern public would remove it and break every access point of the bucket.',
  },
  {
    topic: 'Fixed values',
    choice:
      'A value containing * or ? or a policy variable (`$` then `{key}`, as in aws:username variables) is not fixed, whatever the operator (also under StringEquals, where * is literal) and whatever the policy Version.',
    basis:
      'S3 defines fixed values as "values that don\'t contain a wildcard or a policy variable" and checks the text.',
  },
  {
    topic: 'aws:SourceIp',
    choice:
      'Only IpAddress restricts. A range broader than /8 (IPv4) or /32 (IPv6) is public, except RFC 1918 ranges; an unparseable value restricts nothing.',
    basis:
      'S3 user guide, "The meaning of public". Linters that accept any CIDR (0.0.0.0/1) disagree with S3.',
  },
  {
    topic: 'Negated operators',
    choice:
      'StringNotEquals, StringNotLike, ArnNotEquals, ArnNotLike, NotIpAddress, … restrict nothing in an Allow.',
    basis:
      'S3: a negated condition matches every value except the listed ones, so it never limits a grant to fixed values.',
  },
  {
    topic: '…IfExists',
    choice: 'An operator with IfExists restricts nothing.',
    basis:
      'IAM: "If the key is not present in the request context, the condition evaluates to true" — anonymous callers and requests without the key pass.',
  },
  {
    topic: 'ForAnyValue / ForAllValues',
    choice:
      'ForAnyValue: restricts like its base operator. ForAllValues: restricts nothing unless the same statement also requires the key with Null: false.',
    basis: 'IAM: ForAllValues returns true when the key is missing or empty; ForAnyValue returns false then.',
  },
  {
    topic: 'Deny',
    choice: 'A Deny statement never grants and is never reverted, whatever its principal or NotPrincipal.',
    basis: 'S3 and IAM evaluation logic.',
  },
  {
    topic: 'NotPrincipal',
    choice:
      'Allow with NotPrincipal grants everyone except the listed principals: treated like "Principal": "*".',
    basis:
      'IAM user guide, NotPrincipal: "Allow with NotPrincipal" is discouraged because it grants to all others, anonymous users included.',
  },
  {
    topic: 'Principal forms',
    choice:
      '"*" and {"AWS": "*"} are anonymous; a principal with a wildcard or policy variable is treated as anonymous; a 12-digit id and arn:aws:iam::ID:root are the account; role/user ARNs belong to their account; AIDA…/AROA… unique ids (what AWS leaves after a principal is deleted) grant nobody; CanonicalUser ids and CloudFront origin access identities name no account and are outside the trust zone unless listed in trustedPrincipals; Federated web identity providers (accounts.google.com, cognito-identity.amazonaws.com, …) are anyone who can sign in there (public); Federated provider ARNs belong to their account.',
    basis: 'IAM user guide, "AWS JSON policy elements: Principal".',
  },
  {
    topic: 'Service principals',
    choice:
      'Inside the trust zone only when pinned by aws:SourceAccount, aws:SourceOwner, aws:SourceOrgID, aws:SourceOrgPaths, or aws:SourceArn whose account part is a zone account. An aws:SourceArn without an account (S3 bucket ARNs) does not pin on its own. An unpinned service grant in a bucket policy (e.g. the pre-2022 CloudTrail log-delivery policy) is a confused-deputy risk that is alerted with the exact condition to add — "aws:SourceOrgID": "<organization>" when the organization is known, else "aws:SourceAccount": "<bucket owner>" — and never removed: removing it would stop the delivery.',
    basis:
      'AWS confused-deputy guidance: "If the aws:SourceArn value does not contain the account ID, such as an Amazon S3 bucket ARN, you must use both global condition context keys".',
  },
  {
    topic: 'Trust-zone pins',
    choice:
      'aws:PrincipalOrgID / aws:SourceOrgID equal to the organization, aws:PrincipalOrgPaths / aws:SourceOrgPaths under it, aws:PrincipalAccount / aws:SourceAccount / aws:SourceOwner / s3:DataAccessPointAccount in the zone, aws:PrincipalArn / aws:SourceArn / s3:DataAccessPointArn whose account part is a zone account (wildcards allowed elsewhere in the ARN). The resource owner is always in the zone. The same keys naming an account or organization outside the zone put the grant outside, in every policy kind (an endpoint policy with "Principal": "*" and aws:PrincipalAccount of another account is a violation, whatever its resources). When the organization id is unknown, organization pins cannot be judged inside and do not pin (an endpoint statement with only such a pin is still open on the principal axis).',
    basis: 'AWS data perimeter guidance (identity perimeter keys).',
  },
  {
    topic: 'Network conditions',
    choice:
      'aws:SourceIp, aws:SourceVpc and aws:SourceVpce make a bucket policy non-public (S3) but do not place callers in the trust zone: "Principal": "*" limited only by a network is reported as granting principals outside the trust zone, unless the rule sets networkConditionsPin.',
    basis:
      'Zero trust: a network location is not an identity (see sg-open-ingress). S3 itself calls such a policy non-public.',
  },
  {
    topic: 'Condition keys and operators',
    choice:
      'Condition keys compare case-insensitively; ForAnyValue:/ForAllValues: prefixes and the IfExists suffix are recognised on any operator; an operator of the wrong family for a key (StringEquals on aws:SourceIp, Bool on a string key) restricts nothing.',
    basis:
      'IAM user guide, "Condition element" (keys are case-insensitive; IP keys use IP address operators).',
  },
  {
    topic: 'Endpoint policies: open on both axes',
    choice:
      'An Allow is open when any principal may call (no named principals, no aws:PrincipalOrgID / aws:PrincipalAccount / aws:PrincipalArn / aws:PrincipalIsAWSService / aws:userid pin) and any resource is reachable ("*", NotResource, a missing Resource, or an ARN whose account part or S3 bucket name is not fixed, with no aws:ResourceOrgID / aws:ResourceAccount / aws:ResourceOrgPaths pin). No policy, and ResetPolicy, mean AWS\'s default full-access policy.',
    basis:
      'VPC user guide, "Control access to VPC endpoints using endpoint policies" (default policy = full access).',
  },
  {
    topic: 'Endpoint policies: perimeters',
    choice:
      "requirePerimeter = identity needs callers pinned to the zone (named zone principals, aws:PrincipalOrgID of the organization, zone aws:PrincipalAccount, or aws:PrincipalIsAWSService = true); resource needs resources in zone accounts or pinned by aws:ResourceOrgID / aws:ResourceAccount. A statement limited to aws:PrincipalIsAWSService = true satisfies both, as in AWS's data-perimeter endpoint policy.",
    basis: 'aws-samples/data-perimeter-policy-examples, default_endpoint_policy.json.',
  },
  {
    topic: 'Endpoint services (lint-policy --kind endpoint-service-permissions)',
    choice:
      'Allowed principals: "*" (or any wildcard) is everyone; account and IAM ARNs are placed by their account; organization and OU ARNs are inside when they name the zone\'s organization.',
    basis: 'VPC user guide, "Manage permissions" for endpoint services.',
  },
  {
    topic: 'Public access block',
    choice:
      'A setting missing from PublicAccessBlockConfiguration counts as false, as S3 stores it; DeleteBucketPublicAccessBlock / DeleteAccountPublicAccessBlock turn all four off.',
    basis:
      'S3 API reference, PutPublicAccessBlock (omitted elements are false). Some detectors treat a missing field as true.',
  },
  {
    topic: 'Service integrations are never cut',
    choice:
      'A bucket policy revert that would remove a statement serving a known AWS integration — log delivery (cloudtrail, config, logging.s3, delivery.logs, logdelivery.elasticloadbalancing, billingreports, guardduty service principals), S3 Inventory / analytics export (s3.amazonaws.com), replication into the bucket (s3:Replicate* actions) — keeps that statement and alerts on it with the reason ("removing it would cut …"). Other offending statements of the same policy are still removed; when none is left to remove, the decision is alert.',
    basis:
      "Over-remediation: deleting the only statements of a CloudTrail bucket policy stops the organization's audit logging, which is worse than the exposure it closes.",
  },
  {
    topic: '"Principal": {}',
    choice:
      'An empty Principal object names no principal: the statement grants nobody (judged, not refused as bad input).',
    basis: 'IAM evaluation: a statement applies only to the principals it names.',
  },
  {
    topic: 'Missing Principal',
    choice:
      'AWS requires Principal (or NotPrincipal) in bucket and endpoint policies: lint-policy rejects a statement without one as bad input (exit 2); the guardrails, which only see documents AWS accepted, would read it as every principal.',
    basis:
      'S3 rejects it (MalformedPolicy); VPC user guide: an endpoint policy "must contain a Principal element".',
  },
  {
    topic: 'Unreadable policies',
    choice:
      'A successful call whose policy driftguard cannot parse is a violation that is alerted on, never reverted blindly.',
    basis: 'An exact revert needs to know which statements offend.',
  },
  {
    topic: 'Account-level public access block events',
    choice:
      'PutAccountPublicAccessBlock / DeleteAccountPublicAccessBlock are watched with eventSource s3.amazonaws.com (what published detection rules match) and s3control.amazonaws.com (the S3 Control endpoint the calls go to).',
    basis:
      'CloudTrail does not document the eventSource of S3 Control calls per operation; watching both costs one EventBridge rule.',
  },
  {
    topic: 'Reverts re-judge live state',
    choice:
      "The executor re-reads the live document and re-runs the same analysis with the same trust zone (organization id and the zone accounts the evaluated document named, config, and the organization's accounts when readable); it removes only the statements the event added that still offend (matched by canonical content, else by Sid), and never puts a last-known-good or baseline policy that does not pass the rule itself.",
    basis: 'Events arrive late, twice or out of order (DESIGN.md §4).',
  },
];
