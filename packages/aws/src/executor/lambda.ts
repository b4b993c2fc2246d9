import {
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  RemovePermissionCommand,
  UpdateFunctionUrlConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  analyzeLambdaPolicy,
  type OperationResult,
  type PolicyDocument,
  parseLambdaPolicy,
  type RemoveLambdaPermission,
  type RequireFunctionUrlAuth,
  statementFingerprint,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { alreadyCompliant, applied, failed } from './results';
import { revertTrustZone } from './revert-zone';

const NOT_FOUND = 'ResourceNotFoundException';

/** The function's policy, or undefined when it has none (or the function is gone). */
async function readFunctionPolicy(
  lambda: LambdaClient,
  FunctionName: string,
  Qualifier: string | undefined,
): Promise<PolicyDocument | undefined | { unreadable: string }> {
  try {
    const { Policy } = await lambda.send(new GetPolicyCommand({ FunctionName, Qualifier }));
    if (!Policy) return undefined;
    const parsed = parseLambdaPolicy(Policy);
    return parsed.ok ? parsed.policy : { unreadable: parsed.reason };
  } catch (error) {
    if (awsErrorCode(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

/**
 * verify → act → verify for a permission lambda-public judged offending: the statement with that
 * Sid must still be the one evaluated (same content) and still offend under the trust zone, then
 * RemovePermission, then GetPolicy shows it gone.
 */
export async function removeLambdaPermission(
  operation: RemoveLambdaPermission,
  context: ExecutorContext,
): Promise<OperationResult> {
  const lambda = await context.clients.get(LambdaClient, operation.target);
  const { FunctionName, StatementId, Qualifier } = operation.input;
  const where = `${FunctionName}${Qualifier ? `:${Qualifier}` : ''}`;
  const before = await readFunctionPolicy(lambda, FunctionName, Qualifier);
  if (before && 'unreadable' in before) {
    return failed(operation, `policy of ${where} unreadable: ${before.unreadable}`);
  }
  const found = before?.statements.find((statement) => statement.sid === StatementId);
  if (!before || !found) {
    return alreadyCompliant(operation, `${where} has no statement ${StatementId}`);
  }
  if (statementFingerprint(found.source) !== operation.statement.fingerprint) {
    return alreadyCompliant(
      operation,
      `statement ${StatementId} of ${where} was replaced since the event; the sweep judges the new one`,
    );
  }
  const trustZone = await revertTrustZone(operation, context);
  const analysis = analyzeLambdaPolicy(before, trustZone, operation.target.account);
  if (analysis.statements[found.index]?.offending !== true) {
    return alreadyCompliant(
      operation,
      `statement ${StatementId} of ${where} no longer grants outside the trust zone`,
    );
  }
  await lambda.send(new RemovePermissionCommand({ FunctionName, StatementId, Qualifier }));
  const after = await readFunctionPolicy(lambda, FunctionName, Qualifier);
  if (after && 'unreadable' in after) {
    return failed(operation, `re-read policy of ${where} is unreadable`);
  }
  if (after?.statements.some((statement) => statement.sid === StatementId)) {
    return failed(operation, `re-read of ${where} still shows statement ${StatementId}`);
  }
  return applied(operation, `removed permission ${StatementId} from ${where}`, [
    `${where} permission ${StatementId}`,
  ]);
}

async function urlAuthType(
  lambda: LambdaClient,
  FunctionName: string,
  Qualifier: string | undefined,
): Promise<string | undefined> {
  try {
    return (await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName, Qualifier }))).AuthType;
  } catch (error) {
    if (awsErrorCode(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

/** verify → act → verify: a function URL still open (AuthType NONE) gets AWS_IAM auth, read back. */
export async function requireFunctionUrlAuth(
  operation: RequireFunctionUrlAuth,
  context: ExecutorContext,
): Promise<OperationResult> {
  const lambda = await context.clients.get(LambdaClient, operation.target);
  const { FunctionName, Qualifier } = operation.input;
  const where = `the URL of ${FunctionName}${Qualifier ? `:${Qualifier}` : ''}`;
  const before = await urlAuthType(lambda, FunctionName, Qualifier);
  if (before === undefined) {
    return alreadyCompliant(operation, `${where} no longer exists`);
  }
  if (before !== 'NONE') {
    return alreadyCompliant(operation, `${where} already requires ${before}`);
  }
  await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName, Qualifier, AuthType: 'AWS_IAM' }));
  const after = await urlAuthType(lambda, FunctionName, Qualifier);
  if (after !== 'AWS_IAM') {
    return failed(operation, `re-read of ${where} shows AuthType ${after ?? 'absent'}, expected AWS_IAM`);
  }
  return applied(operation, `${where} requires AWS_IAM auth again (was NONE)`, [
    `${where}: AuthType NONE → AWS_IAM`,
  ]);
}
