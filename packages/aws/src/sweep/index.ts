export { type Describer, sweepEvent } from './describer';
export { lambdaFunctionsDescriber } from './lambda-functions';
export { forEachBounded } from './pool';
export { prefixListsDescriber } from './prefix-lists';
export {
  ecrRepositoryPoliciesDescriber,
  kmsKeyPoliciesDescriber,
  secretPoliciesDescriber,
  snsTopicPoliciesDescriber,
  sqsQueuePoliciesDescriber,
} from './resource-policies/index';
export { DESCRIBERS, describersFor, runSweep, type SweepReport } from './run';
export { s3AccessPointsDescriber } from './s3-access-points';
export { securityGroupsDescriber } from './security-groups';
export { ec2SharesDescriber, rdsSnapshotSharesDescriber } from './shares';
export { itemFailed, type SweepHandled, type SweepItemReport } from './unit';
export { vpcPeeringDescriber } from './vpc-peering';
