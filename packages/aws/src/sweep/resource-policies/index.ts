export * from './ecr';
export * from './secrets-manager';
export * from './sns';
export * from './sqs';
