import type { PolicyStatementRef, Target, ZoneSnapshot } from './operations';

/**
 * lambda-public: RemovePermission of exactly the statement a call added. The executor re-reads the
 * function's policy (GetPolicy), removes the statement only while it is there and still offends
 * (judged again with the same trust zone), and reads the policy back to prove it is gone.
 */
export interface RemoveLambdaPermission {
  service: 'lambda';
  operation: 'RemovePermission';
  target: Target;
  input: { FunctionName: string; StatementId: string; Qualifier?: string };
  /** The statement as evaluated: a same-Sid statement with other content is someone else's. */
  statement: PolicyStatementRef;
  zone: ZoneSnapshot;
}

/**
 * lambda-public: a function URL's auth type back to AWS_IAM (UpdateFunctionUrlConfig), after a
 * GetFunctionUrlConfig shows it still NONE; read back to verify.
 */
export interface RequireFunctionUrlAuth {
  service: 'lambda';
  operation: 'UpdateFunctionUrlConfig';
  target: Target;
  input: { FunctionName: string; Qualifier?: string; AuthType: 'AWS_IAM' };
}

export type LambdaOperation = RemoveLambdaPermission | RequireFunctionUrlAuth;
