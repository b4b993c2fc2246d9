import { defaultSgInUseDocs } from './default-sg-in-use';
import { driftguardIntegrityDocs } from './driftguard-integrity';
import { guarddutyFindingDocs } from './guardduty-finding';
import type { GuardrailDocs } from './guardrail';
import { iamRoleTrustDocs } from './iam-role-trust';
import { lambdaPublicDocs } from './lambda-public';
import { managedPrefixListDocs } from './managed-prefix-list';
import { publicSnapshotDocs } from './public-snapshot';
import { resourcePolicyDocs } from './resource-policy';
import { s3AccessPointPolicyDocs } from './s3-access-point-policy';
import { s3BucketPolicyDocs } from './s3-bucket-policy';
import { s3PublicAccessBlockDocs } from './s3-public-access-block';
import { sgOpenIngressDocs } from './sg-open-ingress';
import { vpcEndpointPolicyDocs } from './vpc-endpoint-policy';
import { vpcEndpointServiceDocs } from './vpc-endpoint-service';
import { vpcPeeringDocs } from './vpc-peering';

/**
 * RULES.md's words for each guardrail of the catalog, by rule id. A plain object, so a bundle that
 * does not read it (every function) drops it and the texts with it.
 */
export const RULE_DOCS: Readonly<Record<string, GuardrailDocs>> = {
  'default-sg-in-use': defaultSgInUseDocs,
  'driftguard-integrity': driftguardIntegrityDocs,
  'guardduty-finding': guarddutyFindingDocs,
  'iam-role-trust': iamRoleTrustDocs,
  'lambda-public': lambdaPublicDocs,
  'managed-prefix-list': managedPrefixListDocs,
  'public-snapshot': publicSnapshotDocs,
  'resource-policy': resourcePolicyDocs,
  's3-access-point-policy': s3AccessPointPolicyDocs,
  's3-bucket-policy': s3BucketPolicyDocs,
  's3-public-access-block': s3PublicAccessBlockDocs,
  'sg-open-ingress': sgOpenIngressDocs,
  'vpc-endpoint-policy': vpcEndpointPolicyDocs,
  'vpc-endpoint-service': vpcEndpointServiceDocs,
  'vpc-peering': vpcPeeringDocs,
};
