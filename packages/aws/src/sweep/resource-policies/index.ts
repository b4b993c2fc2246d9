export { ecrRepositoryPoliciesDescriber } from './ecr';
export { kmsKeyPoliciesDescriber } from './kms';
export { secretPoliciesDescriber } from './secrets-manager';
export { snsTopicPoliciesDescriber } from './sns';
export { sqsQueuePoliciesDescriber } from './sqs';
