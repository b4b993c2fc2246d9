export {
  type AllowedPrincipalFinding,
  AWS_DEFAULT_ENDPOINT_POLICY,
  analyzeAllowedPrincipals,
  analyzeBucketPolicy,
  analyzeEndpointPolicy,
  isOpenResource,
  type PolicyAnalysis,
  type StatementAnalysis,
} from './analyze';
export { POLICY_CHOICES } from './choices';
export { broadSourceIp, classifyCondition } from './conditions';
export {
  type PolicyDocument,
  parseOperator,
  parsePolicy,
  policyFingerprint,
  policyWithStatements,
  type Statement,
  statementFingerprint,
} from './document';
export { classifyPrincipal, type ZoneContext } from './principals';
export {
  analyzeBucketPolicyWith,
  analyzeResourcePolicyWith,
  bucketZone,
  resourcePolicyZone,
} from './readings';
export { matchStatements, policyWithout, statementLabel, statementRef } from './statements';
export { analyzeTrustPolicy } from './trust-policy';
export { zoneOfOperation } from './zone';
