/**
 * lambda-public through the real evaluate handler against moto: the permission or URL is made for
 * real, its CloudTrail record built from Lambda's own response (the statement text it returns is
 * what CloudTrail records as responseElements.statement), and what a user would notice is read back.
 */
import {
  AddPermissionCommand,
  CreateFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { lambdaFunctionsDescriber } from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloudTrailEvent } from '../../packages/cli/src/simulate/cloudtrail';
import { clientOptions, HOME_ACCOUNT, motoEndpoint } from '../support/aws';
import { type EvaluateHandlerOnMoto, evaluateHandlerOnMoto } from '../support/evaluate-handler';
import { lambdaExecutionRole, newTestFunction } from '../support/lambda-functions';
import { MEMBER_ACCOUNT, OUTSIDE_ACCOUNT } from '../support/network';
import { sweptInHomeAccount } from '../support/sweep';

const REGION = 'us-east-1';

async function sids(lambda: LambdaClient, FunctionName: string): Promise<string[] | 'none'> {
  try {
    const { Policy } = await lambda.send(new GetPolicyCommand({ FunctionName }));
    return (JSON.parse(Policy ?? '{}').Statement ?? []).map((statement: { Sid: string }) => statement.Sid);
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return 'none';
    throw error;
  }
}

describe.skipIf(!motoEndpoint)('lambda-public through the evaluate handler against moto', () => {
  let handler: EvaluateHandlerOnMoto;
  let lambda: LambdaClient;
  let role: string;
  const run = (event: Record<string, unknown>) => handler.run(event);

  async function newFunction(prefix: string): Promise<string> {
    const FunctionName = await newTestFunction(lambda, role, prefix);
    return FunctionName;
  }

  /** AddPermission for real; the record CloudTrail writes for it (Stratus Red Team's published shape). */
  async function addPermission(
    FunctionName: string,
    input: { StatementId: string; Principal: string; SourceAccount?: string },
  ) {
    const { Statement } = await lambda.send(
      new AddPermissionCommand({ FunctionName, Action: 'lambda:InvokeFunction', ...input }),
    );
    return cloudTrailEvent({
      eventSource: 'lambda.amazonaws.com',
      eventName: 'AddPermission20150331v2',
      account: HOME_ACCOUNT,
      region: REGION,
      requestParameters: {
        action: 'lambda:InvokeFunction',
        functionName: FunctionName,
        principal: input.Principal,
        statementId: input.StatementId,
        ...(input.SourceAccount ? { sourceAccount: input.SourceAccount } : {}),
      },
      responseElements: { statement: Statement },
    });
  }

  beforeAll(async () => {
    lambda = new LambdaClient(clientOptions(REGION));
    role = await lambdaExecutionRole(REGION);
    handler = await evaluateHandlerOnMoto({
      config: { organizationId: 'o-a1b2c3d4e5', trustedAccounts: [MEMBER_ACCOUNT] },
    });
  });

  it('a backdoor grant to "*" (Stratus Red Team lambda-backdoor-function): exactly that statement is removed, the member grant stays', async () => {
    const FunctionName = await newFunction('backdoored');
    await addPermission(FunctionName, { StatementId: 'member', Principal: MEMBER_ACCOUNT });
    const event = await addPermission(FunctionName, { StatementId: 'backdoor', Principal: '*' });

    await run(event);

    expect(await sids(lambda, FunctionName)).toEqual(['member']);
  });

  it('an outside account allowed to invoke: removed; with no statement left the function has no policy at all', async () => {
    const FunctionName = await newFunction('cross-account');
    const event = await addPermission(FunctionName, { StatementId: 'vendor', Principal: OUTSIDE_ACCOUNT });

    await run(event);

    expect(await sids(lambda, FunctionName)).toBe('none');
  });

  it('a grant already replaced by a compliant one under the same statement id: left as it is', async () => {
    const FunctionName = await newFunction('replaced');
    const event = await addPermission(FunctionName, { StatementId: 'shared', Principal: '*' });
    const { RemovePermissionCommand } = await import('@aws-sdk/client-lambda');
    await lambda.send(new RemovePermissionCommand({ FunctionName, StatementId: 'shared' }));
    await addPermission(FunctionName, { StatementId: 'shared', Principal: MEMBER_ACCOUNT });

    await run(event);

    expect(await sids(lambda, FunctionName)).toEqual(['shared']);
  });

  it('a function URL created with AuthType NONE: it requires AWS_IAM again, read back', async () => {
    const FunctionName = await newFunction('webhook');
    const created = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName, AuthType: 'NONE' }));

    await run(
      cloudTrailEvent({
        eventSource: 'lambda.amazonaws.com',
        eventName: 'CreateFunctionUrlConfig20211031',
        account: HOME_ACCOUNT,
        region: REGION,
        requestParameters: { functionName: FunctionName, authType: 'NONE' },
        responseElements: {
          functionUrl: created.FunctionUrl,
          functionArn: created.FunctionArn,
          authType: created.AuthType,
        },
      }),
    );

    const { AuthType } = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName }));
    expect(AuthType).toBe('AWS_IAM');
  });

  it('the sweep reads every function policy and URL of the region, and the same path closes what it finds with no event', async () => {
    const FunctionName = await newFunction('swept');
    await addPermission(FunctionName, { StatementId: 'member', Principal: MEMBER_ACCOUNT });
    await addPermission(FunctionName, { StatementId: 'backdoor', Principal: '*' });
    await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName, AuthType: 'NONE' }));
    const found = await sweptInHomeAccount([lambdaFunctionsDescriber], (resource) =>
      resource.resourceId.startsWith(`${FunctionName}/`),
    );
    expect(found.map((resource) => resource.resourceId).sort()).toEqual(
      [`${FunctionName}/backdoor`, `${FunctionName}/member`, `${FunctionName}/url`].sort(),
    );

    for (const resource of found) await run(resource.event);

    expect(await sids(lambda, FunctionName)).toEqual(['member']);
    const { AuthType } = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName }));
    expect(AuthType).toBe('AWS_IAM');
  });
});
