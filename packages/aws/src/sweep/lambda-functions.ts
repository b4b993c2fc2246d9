import {
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  ListFunctionsCommand,
  paginateListAliases,
  paginateListVersionsByFunction,
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

/** Every page's names, or none if the function was deleted since the listing. */
async function namesOf<Page>(pages: AsyncIterable<Page>, names: (page: Page) => (string | undefined)[]) {
  const found: string[] = [];
  try {
    for await (const page of pages) for (const name of names(page)) if (name) found.push(name);
  } catch (error) {
    if (awsErrorCode(error) !== NOT_FOUND) throw error;
  }
  return found;
}

/** The function's aliases: each has its own policy and its own function URL. */
function aliasesOf(lambda: LambdaClient, FunctionName: string): Promise<string[]> {
  return namesOf(paginateListAliases({ client: lambda }, { FunctionName }), (page) =>
    (page.Aliases ?? []).map((alias) => alias.Name),
  );
}

/**
 * The function's published versions (`$LATEST` is the unqualified function): each has its own
 * policy, set by AddPermission with the version as `Qualifier`, and invocable as `my-function:3`.
 * A version cannot have a function URL.
 */
async function versionsOf(lambda: LambdaClient, FunctionName: string): Promise<string[]> {
  const versions = await namesOf(
    paginateListVersionsByFunction({ client: lambda }, { FunctionName }),
    (page) => (page.Versions ?? []).map((version) => version.Version),
  );
  return versions.filter((version) => version !== '$LATEST');
}

/**
 * The policy and URL of one function or alias (`Qualifier`), as the calls that set them: each
 * statement as the AddPermission that added it (Lambda's own statement text), the URL as the
 * UpdateFunctionUrlConfig that set its auth type.
 */
async function* describeQualified(
  scope: DescribeScope,
  lambda: LambdaClient,
  FunctionName: string,
  Qualifier: string | undefined,
  hasUrl = true,
): AsyncIterable<SweptResource> {
  const where = Qualifier ? `${FunctionName}:${Qualifier}` : FunctionName;
  const qualifier = Qualifier ? { qualifier: Qualifier } : {};
  const read = await orNothing(lambda.send(new GetPolicyCommand({ FunctionName, Qualifier })));
  let statements: unknown[] = [];
  try {
    const parsed = read?.Policy ? (JSON.parse(read.Policy) as { Statement?: unknown }) : {};
    statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement].filter(Boolean);
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
      resourceId: `${where}/${statementId}`,
      requestParameters: { functionName: FunctionName, ...qualifier, statementId },
      responseElements: {
        statement: typeof statement === 'string' ? statement : JSON.stringify(statement),
      },
    });
  }
  if (!hasUrl) return;
  const url = await orNothing(lambda.send(new GetFunctionUrlConfigCommand({ FunctionName, Qualifier })));
  if (url?.AuthType) {
    yield sweepEvent(scope, {
      eventSource: 'lambda.amazonaws.com',
      eventName: 'UpdateFunctionUrlConfig20211031',
      resourceId: `${where}/url`,
      requestParameters: { functionName: FunctionName, ...qualifier, authType: url.AuthType },
      responseElements: { functionUrl: url.FunctionUrl, authType: url.AuthType },
    });
  }
}

/**
 * Every function of the account in the region, every alias and every published version of it: an
 * alias has its own policy (AddPermission with a Qualifier) and its own function URL
 * (CreateFunctionUrlConfig with a Qualifier), so a public URL on `my-function:live` is invisible
 * from the unqualified function; a version has its own policy, so a grant to `"*"` on
 * `my-function:3` lets anyone run that version's code with the function's role.
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
        yield* describeQualified(scope, lambda, FunctionName, undefined);
        for (const alias of await aliasesOf(lambda, FunctionName))
          yield* describeQualified(scope, lambda, FunctionName, alias);
        for (const version of await versionsOf(lambda, FunctionName))
          yield* describeQualified(scope, lambda, FunctionName, version, false);
      }
      Marker = page.NextMarker;
    } while (Marker);
  },
};
