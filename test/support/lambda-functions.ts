import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { clientOptions, unique } from './aws';
import { zipOf } from './lambda-zip';

/** A role Lambda may assume, in moto: what CreateFunction needs as the function's role. */
export async function lambdaExecutionRole(region: string): Promise<string> {
  const { Role } = await new IAMClient(clientOptions(region)).send(
    new CreateRoleCommand({
      RoleName: unique('fn-role'),
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  return Role?.Arn as string;
}

/** A function (never run: moto only stores it) with a unique name starting with `prefix`. */
export async function newTestFunction(lambda: LambdaClient, role: string, prefix: string): Promise<string> {
  const FunctionName = unique(prefix);
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName,
      Runtime: 'nodejs22.x',
      Role: role,
      Handler: 'index.handler',
      Code: { ZipFile: zipOf('index.js', 'export const handler = async () => 1;') },
    }),
  );
  return FunctionName;
}
