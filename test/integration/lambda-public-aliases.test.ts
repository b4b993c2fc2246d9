/**
 * lambda-public on aliases and published versions: an alias has its own function URL and its own
 * policy, so a public URL on `my-function:live` is a door of its own; a version has its own policy,
 * so a grant to "*" on `my-function:1` lets anyone run that version. moto 5.2.1 keeps one URL and
 * one policy per function and ignores `Qualifier` (and has no ListFunctionUrlConfigs), so the URL
 * and policy calls go to a loopback stand-in that keys them by qualifier
 * (test/support/function-url-configs.ts); functions, versions, aliases, STS and the queues are
 * moto's, through the fault proxy's `route`.
 */
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionUrlConfigCommand,
  LambdaClient,
  PublishVersionCommand,
} from '@aws-sdk/client-lambda';
import { accountClients, lambdaFunctionsDescriber } from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudTrailEvent } from '../../packages/cli/src/simulate/cloudtrail';
import { clientOptions, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { type EvaluateHandlerOnMoto, evaluateHandlerOnMoto } from '../support/evaluate-handler';
import { type FaultProxy, startFaultProxy } from '../support/faults';
import {
  type FunctionUrlConfigs,
  routeFunctionUrls,
  startFunctionUrlConfigs,
} from '../support/function-url-configs';
import { lambdaExecutionRole, newTestFunction } from '../support/lambda-functions';

const REGION = 'us-east-1';

describe.skipIf(!motoEndpoint)(
  'lambda-public: URLs and grants on aliases and versions (real handler, moto + stand-in)',
  () => {
    let handler: EvaluateHandlerOnMoto;
    let lambda: LambdaClient;
    let role: string;
    let urls: FunctionUrlConfigs;
    let proxy: FaultProxy;
    const run = (event: Record<string, unknown>) => handler.run(event);

    /** A function with version 1 and the alias `live` pointing at it. */
    async function functionWithAlias(prefix: string): Promise<string> {
      const FunctionName = await newTestFunction(lambda, role, prefix);
      const { Version } = await lambda.send(new PublishVersionCommand({ FunctionName }));
      await lambda.send(new CreateAliasCommand({ FunctionName, Name: 'live', FunctionVersion: Version }));
      return FunctionName;
    }

    beforeAll(async () => {
      urls = await startFunctionUrlConfigs(HOME_ACCOUNT, REGION);
      proxy = await startFaultProxy(motoEndpoint as string, {}, { route: routeFunctionUrls(urls) });
      lambda = new LambdaClient({ ...clientOptions(REGION), endpoint: proxy.endpoint });
      role = await lambdaExecutionRole(REGION);
      handler = await evaluateHandlerOnMoto({
        config: { organizationId: 'o-a1b2c3d4e5' },
        endpoint: proxy.endpoint,
      });
    });
    afterAll(async () => {
      await proxy?.close();
      await urls?.close();
    });

    it('CreateFunctionUrlConfig with Qualifier live and AuthType NONE: the alias URL requires AWS_IAM again; the function’s own URL is not touched', async () => {
      const FunctionName = await functionWithAlias('aliased-url');
      await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName, AuthType: 'AWS_IAM' }));
      const created = await lambda.send(
        new CreateFunctionUrlConfigCommand({ FunctionName, Qualifier: 'live', AuthType: 'NONE' }),
      );
      const before = urls.calls.length;

      await run(
        cloudTrailEvent({
          eventSource: 'lambda.amazonaws.com',
          eventName: 'CreateFunctionUrlConfig20211031',
          account: HOME_ACCOUNT,
          region: REGION,
          requestParameters: { functionName: FunctionName, qualifier: 'live', authType: 'NONE' },
          responseElements: {
            functionUrl: created.FunctionUrl,
            functionArn: created.FunctionArn,
            authType: created.AuthType,
          },
        }),
      );

      expect(urls.authType(FunctionName, 'live')).toBe('AWS_IAM');
      expect(urls.authType(FunctionName)).toBe('AWS_IAM');
      // Read, changed and read back on the alias only.
      expect(urls.calls.slice(before)).toEqual([
        `GET ${FunctionName}:live {}`,
        `PUT ${FunctionName}:live {"AuthType":"AWS_IAM"}`,
        `GET ${FunctionName}:live {}`,
      ]);
    });

    /** What the sweep's describer emits for one function (and its aliases and versions). */
    async function sweptFunction(FunctionName: string) {
      const scope = {
        runId: unique('run'),
        account: HOME_ACCOUNT,
        region: REGION,
        regions: [REGION],
        clients: accountClients({ credentialsFor: async () => undefined, endpoint: proxy.endpoint }),
        observedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      };
      const found = [];
      for await (const resource of lambdaFunctionsDescriber.describe(scope))
        if (
          resource.resourceId.startsWith(`${FunctionName}:`) ||
          resource.resourceId.startsWith(`${FunctionName}/`)
        )
          found.push(resource);
      return found;
    }

    it('the sweep reads every alias’s URL: a public URL on an alias with no event is found and closed', async () => {
      const FunctionName = await functionWithAlias('swept-alias');
      await lambda.send(
        new CreateFunctionUrlConfigCommand({ FunctionName, Qualifier: 'live', AuthType: 'NONE' }),
      );
      const found = await sweptFunction(FunctionName);
      expect(found.map((resource) => resource.resourceId)).toEqual([`${FunctionName}:live/url`]);

      for (const resource of found) await run(resource.event);

      expect(urls.authType(FunctionName, 'live')).toBe('AWS_IAM');
    });

    it('the sweep reads every published version’s policy: a grant to "*" on version 1 with no event is found and removed there; the function’s own grant stays', async () => {
      const FunctionName = await functionWithAlias('swept-version');
      const grant = (Qualifier: string | undefined, StatementId: string, Principal: string) =>
        lambda.send(
          new AddPermissionCommand({
            FunctionName,
            Qualifier,
            StatementId,
            Principal,
            Action: 'lambda:InvokeFunction',
          }),
        );
      await grant(undefined, 'home-account', HOME_ACCOUNT);
      await grant('1', 'anyone', '*');

      const found = await sweptFunction(FunctionName);
      expect(found.map((resource) => resource.resourceId)).toEqual([
        `${FunctionName}/home-account`,
        `${FunctionName}:1/anyone`,
      ]);

      for (const resource of found) await run(resource.event);

      expect(urls.statementIds(FunctionName, '1')).toEqual([]);
      expect(urls.statementIds(FunctionName)).toEqual(['home-account']);
    });
  },
);
