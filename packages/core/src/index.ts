export {
  type Announcement,
  exemptionUsedAnnouncement,
  type RecheckResult,
  renderAnnouncement,
} from './announcement';
export {
  type Action,
  type Assessment,
  assess,
  decideChange,
  type Evaluation,
  evaluateChange,
  liveFactQueries,
  primaryVerdict,
  type RuleResult,
  type Status,
} from './assess';
export {
  assessFinding,
  claimedFreshness,
  decideFinding,
  deliveryId,
  evaluateFindingEvent,
  type FindingClaim,
  type FindingMark,
  findingFreshness,
} from './assess-finding';
export {
  type BreakerRecord,
  type BreakerView,
  breakerKey,
  breakerResourceKey,
  breakerSettings,
  breakerTripped,
  breakerView,
  recordRevert,
  recordTrip,
} from './breaker';
export { type Config, type ConfigInput, configSchema, defaultConfig, parseConfig } from './config';
export { findingModeOf } from './decide-finding';
export { formatDuration, parseDuration } from './duration';
export {
  type AccountPlacement,
  decisionStateQuery,
  type EnforcementContext,
  resolveMode,
} from './enforcement';
export { OU_ID_PATTERN } from './enforcement-config';
export type { Change } from './events/change';
export { setItems, stringList, toInt } from './events/ec2-sets';
export { type NormalizedEvent, normalizeEvent } from './events/event';
export {
  type Finding,
  GUARDDUTY_DETAIL_TYPE,
  GUARDDUTY_SOURCE,
  normalizeGuardDuty,
  parseFindingType,
  severityBand,
} from './events/guardduty';
export {
  CLOUDTRAIL_DETAIL_TYPE,
  cloudTrailRecordSchema,
  normalizeCloudTrail,
  wellFormedCloudTrailRecord,
} from './events/normalize';
export { type UnwatchedCall, unwatchedCall } from './events/triage';
export {
  type AuthenticatedCaller,
  approveRequest,
  authenticatedPrincipal,
  checkExemption,
  describeScope,
  type Exemption,
  type ExemptionReference,
  type ExemptionRequest,
  type ExemptionUse,
  exemptionUse,
  type GrantRefusal,
  type IdentityRefusal,
  madeBy,
  type Principal,
  type RequestInput,
  referenceInScope,
  samePerson,
  validateRequest,
} from './exemption';
export {
  DEFAULT_FORWARDING_PREFIX,
  type ExpectedRule,
  expectedForwardingRules,
  FOOTPRINT_OBSERVATION,
  FORWARDING_TARGET_ID,
  type FootprintObservation,
  type ForwardingPlacement,
  footprintResourceId,
  forwardingPlacement,
  forwardingRoleName,
  forwardingRuleName,
  globalEventsRegion,
  MEMBER_ROLE_PATH,
  memberAccountValues,
  memberForwardingPatterns,
  type ObservedRule,
  partitionOf,
  remediationTrustPolicy,
} from './footprint';
export { enabledPlaybooks, findingTypeMatches, PLAYBOOKS, type Playbook } from './guardduty-config';
export { infrastructureAsCodeActor } from './iac';
export type { RemoveLambdaPermission, RequireFunctionUrlAuth } from './lambda-operations';
export {
  emptyLiveFacts,
  type LiveFactQuery,
  type LiveFacts,
  type Lookup,
  liveFactKey,
  type PrefixListFact,
  type PrefixListReference,
  type PrefixListUse,
  type SecurityGroupFact,
  type SecurityGroupRuleFact,
  type UnreadablePrefixListReference,
} from './live-facts';
export {
  cidrOutsideTrusted,
  classifyIngressRule,
  describeRule,
  fromRuleRequest,
  type IngressRule,
  modifiedRules,
  parseSgRuleSnapshot,
  type SecurityGroupRuleRequest,
  SG_RULE_SNAPSHOT_KIND,
} from './net/index';
export { CHANNELS, type Channel } from './notifications-config';
export type {
  DeleteAccessPointPolicy,
  DeleteBucketPolicy,
  DeleteVpcPeeringConnection,
  EnableForwardingRule,
  IpPermission,
  ModifyVpcEndpointPolicy,
  ModifyVpcEndpointServiceConfiguration,
  ModifyVpcEndpointServicePermissions,
  Operation,
  OperationResult,
  PolicyStatementRef,
  PutAccessPointPolicy,
  PutAccountPublicAccessBlock,
  PutBucketPolicy,
  PutPublicAccessBlock,
  RejectVpcPeeringConnection,
  RemoveManagedPrefixListEntries,
  RestoreForwardingTarget,
  RestoreRemediationTrust,
  RestoreSecurityGroupRules,
  RevokeDefaultSecurityGroupRules,
  RevokeSecurityGroupIngress,
  Target,
  ZoneSnapshot,
} from './operations';
export { canonicalTime, stateAspect } from './ordering';
export {
  type Outcome,
  type OutcomeStatus,
  outcomeFromResults,
  outcomeWithoutExecution,
  type Report,
} from './outcome';
export { isOwnChange, parseRoleArn, REMEDIATION_SESSION_NAME } from './own-identity';
export { patternDifferences, samePattern } from './pattern-diff';
export {
  type BlockBucketPublicAccess,
  type DeactivateAccessKey,
  ISOLATION_TAGS,
  type IsolateEc2Instance,
  QUARANTINE_GROUP_NAME,
  REVOKE_SESSIONS_POLICY_NAME,
  type RevokeRoleSessions,
  revokeSessionsPolicy,
} from './playbook-operations';
export {
  type AllowedPrincipalFinding,
  AWS_DEFAULT_ENDPOINT_POLICY,
  analyzeAllowedPrincipals,
  analyzeBucketPolicy,
  analyzeBucketPolicyWith,
  analyzeEndpointPolicy,
  analyzeResourcePolicyWith,
  analyzeTrustPolicy,
  broadSourceIp,
  bucketZone,
  classifyCondition,
  classifyPrincipal,
  isOpenResource,
  matchStatements,
  POLICY_CHOICES,
  type PolicyAnalysis,
  type PolicyDocument,
  parseOperator,
  parsePolicy,
  policyFingerprint,
  policyWithout,
  policyWithStatements,
  resourcePolicyZone,
  type Statement,
  type StatementAnalysis,
  statementFingerprint,
  statementLabel,
  statementRef,
  type ZoneContext,
  zoneOfOperation,
} from './policy/index';
export { PROTECTED_ROLES } from './protected-roles';
export {
  ASFF_NOTE_AUTHOR,
  ASFF_PARTITIONS,
  type AsffTarget,
  renderAsffFinding,
  resolutionNote,
  resolvesFinding,
} from './render/asff';
export { withoutBidi } from './render/escape';
export { renderSlack, type SlackBlock, type SlackMessage } from './render/slack';
export { renderSns, type SnsNotification } from './render/sns';
export {
  type AdfDocument,
  archivedFinding,
  renderGitHubComment,
  renderGitHubIssue,
  renderJiraComment,
  renderJiraDescription,
  renderTicketPayload,
  type TicketKey,
  type TicketLink,
  type TicketPayload,
  ticketKey,
  ticketTitle,
} from './render/ticket';
export { defaultTopicPolicy, RESOURCE_POLICY_ADAPTERS } from './resource-policy/index';
export type {
  DeleteRepositoryPolicy,
  DeleteSecretPolicy,
  PutKeyPolicy,
  PutSecretPolicy,
  ResourcePolicyOperation,
  ResourcePolicyService,
  SetQueuePolicy,
  SetRepositoryPolicy,
  SetTopicPolicy,
} from './resource-policy-operations';
export { routeNotification, unknownRouteRules } from './route';
export { CATALOG } from './rules/catalog';
export { RULE_DOCS } from './rules/docs';
export { driftguardIntegrity } from './rules/driftguard-integrity';
export { guarddutyFinding, planPlaybooks } from './rules/guardduty-finding';
export { type Guardrail, type GuardrailDocs, watchesCall } from './rules/guardrail';
export { decodeTrustPolicy, ROLE_TRUST_SNAPSHOT, roleTrustZone } from './rules/iam-role-trust';
export { analyzeLambdaPolicy, LAMBDA_PUBLIC_RULE, parseLambdaPolicy } from './rules/lambda-public';
export { type EventPattern, eventBridgeSource, eventPatterns, memberOwnIdentity } from './rules/patterns';
export { analyzeAccessPointPolicy, S3_ACCESS_POINT_POLICY_RULE } from './rules/s3-access-point-policy';
export { BUCKET_POLICY_SNAPSHOT } from './rules/s3-bucket-policy';
export { ALL_BLOCKED, PUBLIC_ACCESS_BLOCK_SETTINGS } from './rules/s3-public-access-block';
export { sgOpenIngress } from './rules/sg-open-ingress';
export {
  analyzeEndpointPolicyWith,
  dataPerimeterEndpointPolicy,
  ENDPOINT_POLICY_SNAPSHOT,
} from './rules/vpc-endpoint-policy';
export { allowedPeering, PEERING_GONE_STATES, peeringOf } from './rules/vpc-peering';
export { safeParseWithMessages } from './schema';
export type { ImageShare, ShareOperation } from './share-operations';
export type { UpdateAssumeRolePolicy } from './trust-operations';
export { type OrganizationInfo, type TrustZone, trustZoneOf } from './trust-zone';
export type { Offense, ResourceRef, Verdict } from './verdict';
