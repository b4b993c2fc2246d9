/** GuardDuty response playbooks: one verify → act → verify handler per playbook operation. */
export {
  ensureQuarantineGroup,
  isolateEc2Instance,
  type RestoreIsolationResult,
  restoreIsolation,
} from './ec2-isolate';
export { deactivateAccessKey } from './iam-access-key';
export { decodePolicyDocument, revocationCutoff, revokeRoleSessions } from './iam-role-sessions';
export { blockBucketPublicAccess } from './s3-public-access';
