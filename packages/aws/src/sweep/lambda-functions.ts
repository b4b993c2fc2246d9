import {
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import { LAMBDA_PUBLIC_RULE } from '@driftguard/core';
import { awsErrorCode } from '../errors';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';

const NOT_FOUND = 'ResourceNotFoundException';

/** A read that finds nothing (no policy, no URL, or the function deleted since the listing). */
async function orNothing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (awsErrorCode(error) === NOT_FOUND) return undefined;
    throw error;
  }
}

/**
 * Every function of the account in the region: each statement of its (unqualified) policy read as
 * the AddPermission that added it (Lambda's own statement text), and its URL as the
 * UpdateFunctionUrlConfig that set its auth type.
 */
export const lambdaFunctionsDescriber: Describer = {
  id: 'lambda-functions',
  rules: [LAMBDA_PUBLIC_RULE],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const lambda = await scope.clients.get(LambdaClient, { account: scope.account, region: scope.region });
    let Marker: string | undefined;
    do {
      const page = await lambda.send(new ListFunctionsCommand({ Marker }));
      for (const fn of page.Functions ?? []) {
        const FunctionName = fn.FunctionName;
        if (!FunctionName) continue;
        const read = await orNothing(lambda.send(new GetPolicyCommand({ FunctionName })));
        let statements: unknown[] = [];
        try {
          const parsed = read?.Policy ? (JSON.parse(read.Policy) as { Statement?: unknown }) : {};
          statements = Array.isArray(parsed.Statement)
            ? parsed.Statement
            : [parsed.Statement].filter(Boolean);
        } catch {
          // An unreadable policy is judged as such: one statement carrying the raw text.
          statements = [read?.Policy];
        }
        for (const [index, statement] of statements.entries()) {
          const sid = (statement as { Sid?: unknown })?.Sid;
          const statementId = typeof sid === 'string' ? sid : `Statement[${index}]`;
          yield sweepEvent(scope, {
            eventSource: 'lambda.amazonaws.com',
            eventName: 'AddPermission20150331v2',
            resourceId: `${FunctionName}/${statementId}`,
            requestParameters: { functionName: FunctionName, statementId },
            responseElements: {
              statement: typeof statement === 'string' ? statement : JSON.stringify(statement),
            },
          });
        }
        const url = await orNothing(lambda.send(new GetFunctionUrlConfigCommand({ FunctionName })));
        if (url?.AuthType) {
          yield sweepEvent(scope, {
            eventSource: 'lambda.amazonaws.com',
            eventName: 'UpdateFunctionUrlConfig20211031',
            resourceId: `${FunctionName}/url`,
            requestParameters: { functionName: FunctionName, authType: url.AuthType },
            responseElements: { functionUrl: url.FunctionUrl, authType: url.AuthType },
          });
        }
      }
      Marker = page.NextMarker;
    } while (Marker);
  },
};
