import type { PolicyStatementRef, Target, ZoneSnapshot } from './operations';

/**
 * resource-policy: the policy of a queue, topic, key, repository or secret written back without
 * exactly the offending statements (Sids and order kept). `input` uses each SDK's own field names.
 * Every executor re-reads the live policy, removes only the referenced statements that still offend
 * (re-judged with the same trust zone), and reads it back to verify. When no statement would remain
 * it clears the policy the way the service allows (`…Delete…` operations, an empty SQS `Policy`,
 * SNS's default owner-only topic policy); a key policy is never emptied (the owner would be locked
 * out) and never loses the statement that lets the key's own account administer it.
 */
interface PolicyRevert {
  target: Target;
  /** The statements to take out, found again in the live policy by content (else by Sid). */
  remove: PolicyStatementRef[];
  zone: ZoneSnapshot;
}

export interface SetQueuePolicy extends PolicyRevert {
  service: 'sqs';
  operation: 'SetQueueAttributes';
  /** `Policy: ""` removes the queue policy (SQS's documented way to clear an attribute). */
  input: { QueueUrl: string; Attributes: { Policy: string } };
}

export interface SetTopicPolicy extends PolicyRevert {
  service: 'sns';
  operation: 'SetTopicAttributes';
  /** With no statement left, SNS's default topic policy (owner only): a topic always has a policy. */
  input: { TopicArn: string; AttributeName: 'Policy'; AttributeValue: string };
}

/** Never emptied and never without a statement letting the key's own account administer it. */
export interface PutKeyPolicy extends PolicyRevert {
  service: 'kms';
  operation: 'PutKeyPolicy';
  input: { KeyId: string; PolicyName: 'default'; Policy: string };
}

export interface SetRepositoryPolicy extends PolicyRevert {
  service: 'ecr';
  operation: 'SetRepositoryPolicy';
  input: { registryId: string; repositoryName: string; policyText: string };
}

export interface DeleteRepositoryPolicy extends PolicyRevert {
  service: 'ecr';
  operation: 'DeleteRepositoryPolicy';
  input: { registryId: string; repositoryName: string };
}

export interface PutSecretPolicy extends PolicyRevert {
  service: 'secretsmanager';
  operation: 'PutResourcePolicy';
  input: { SecretId: string; ResourcePolicy: string };
}

export interface DeleteSecretPolicy extends PolicyRevert {
  service: 'secretsmanager';
  operation: 'DeleteResourcePolicy';
  input: { SecretId: string };
}

export type ResourcePolicyOperation =
  | SetQueuePolicy
  | SetTopicPolicy
  | PutKeyPolicy
  | SetRepositoryPolicy
  | DeleteRepositoryPolicy
  | PutSecretPolicy
  | DeleteSecretPolicy;

export type ResourcePolicyService = ResourcePolicyOperation['service'];
