export * from './ecr';
export * from './kms';
export * from './secrets-manager';
export * from './sns';
export * from './sqs';
