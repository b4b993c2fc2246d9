import { defaultSgInUse } from './default-sg-in-use';
import { driftguardIntegrity } from './driftguard-integrity';
import { guarddutyFinding } from './guardduty-finding';
import type { Guardrail } from './guardrail';
import { iamRoleTrust } from './iam-role-trust';
import { lambdaPublic } from './lambda-public';
import { managedPrefixList } from './managed-prefix-list';
import { publicSnapshot } from './public-snapshot';
import { resourcePolicy } from './resource-policy';
import { s3AccessPointPolicy } from './s3-access-point-policy';
import { s3BucketPolicy } from './s3-bucket-policy';
import { s3PublicAccessBlock } from './s3-public-access-block';
import { sgOpenIngress } from './sg-open-ingress';
import { vpcEndpointPolicy } from './vpc-endpoint-policy';
import { vpcEndpointService } from './vpc-endpoint-service';
import { vpcPeering } from './vpc-peering';

/**
 * Every guardrail driftguard knows. The EventBridge patterns, RULES.md, the member-account
 * forwarding rules and the replay all derive from this list: adding a guardrail is one file,
 * its fixtures and one line here.
 */
export const CATALOG: readonly Guardrail[] = [
  // EC2 network: security groups, peering, endpoint services
  sgOpenIngress,
  defaultSgInUse,
  managedPrefixList,
  vpcPeering,
  vpcEndpointService,
  vpcEndpointPolicy,
  // S3 data: bucket policies, public access block
  s3BucketPolicy,
  s3PublicAccessBlock,
  s3AccessPointPolicy,
  // Identity perimeter: shares, role trust, resource policies
  publicSnapshot,
  iamRoleTrust,
  resourcePolicy,
  lambdaPublic,
  // Threat detection: GuardDuty findings, routed by severity, with opt-in playbooks
  guarddutyFinding,
  // driftguard's own footprint: forwarding rules and roles in member accounts
  driftguardIntegrity,
];

export function findGuardrail(id: string): Guardrail | undefined {
  return CATALOG.find((guardrail) => guardrail.id === id);
}
