/**
 * The runtime config in SSM Parameter Store (packages/aws/src/config-parameter.ts and
 * runtime-loader.ts), against moto's SSM: hundreds of overrides fit, a publish takes effect
 * without a deploy, and a config that fails validation never takes effect — the functions keep
 * the last good one (guardrails stay on) and report it; with no good config at all nothing runs.
 */
import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  ADVANCED_TIER_BYTES,
  ConfigUnavailableError,
  decodeConfigDocument,
  encodeConfigDocument,
  runtimeLoader,
  STANDARD_TIER_BYTES,
} from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientOptions, ec2Client, motoEndpoint, openIngress, unique } from '../support/aws';
import { runCli } from '../support/cli';
import { lambdaContext as context, sqsRecord } from '../support/lambda';

/** A config as a large organization writes it: `count` account overrides with notes. */
function bigConfig(count: number) {
  return {
    dryRun: false,
    trustedCidrs: ['10.0.0.0/8', '172.16.0.0/12'],
    overrides: Array.from({ length: count }, (_, index) => ({
      accounts: [String(300000000000 + index * 7919)],
      rules: index % 3 === 0 ? ['sg-open-ingress'] : ['s3-bucket-policy', 'vpc-peering'],
      mode: index % 2 === 0 ? 'alert' : 'ticket',
      note: `workload ${index}: owned by team-${index % 40}`,
    })),
  };
}

describe('the stored config document', () => {
  it('holds 300 overrides in one parameter, where Lambda’s 4 KB environment holds about 30', () => {
    const document = bigConfig(300);
    const json = JSON.stringify(document);
    expect(Buffer.byteLength(json)).toBeGreaterThan(8 * STANDARD_TIER_BYTES);
    const { value, tier } = encodeConfigDocument(document);
    expect(value.length).toBeLessThanOrEqual(ADVANCED_TIER_BYTES);
    expect(['Standard', 'Advanced']).toContain(tier);
    const decoded = decodeConfigDocument(value);
    expect(decoded.ok && decoded.config.overrides).toHaveLength(300);
  });

  it('stays readable JSON while it is small', () => {
    expect(encodeConfigDocument({ dryRun: true })).toEqual({ value: '{"dryRun":true}', tier: 'Standard' });
  });

  it('says why a stored value is refused', () => {
    expect(decodeConfigDocument('{"rules":{"sg-open-ingress":{"mode":"destroy"}}}')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('at rules["sg-open-ingress"].mode'),
    });
    expect(decodeConfigDocument('gzip+base64:bm90IGd6aXA=')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not decompress'),
    });
  });
});

describe.skipIf(!motoEndpoint)('the config parameter against moto', () => {
  let ssm: SSMClient;
  const put = (name: string, value: string, tier: 'Standard' | 'Advanced' = 'Standard') =>
    ssm.send(
      new PutParameterCommand({ Name: name, Value: value, Type: 'String', Tier: tier, Overwrite: true }),
    );
  const env = (name: string) => ({
    AWS_ENDPOINT_URL: motoEndpoint,
    AWS_REGION: 'us-east-1',
    DRIFTGUARD_CONFIG_PARAMETER: name,
    // Every read goes to SSM, so each publish is seen at once.
    DRIFTGUARD_CONFIG_MAX_AGE_SECONDS: '0',
    DRIFTGUARD_READ_ORGANIZATION: 'false',
    DRIFTGUARD_EXTERNAL_ID: 'generated-by-the-deployment',
    DRIFTGUARD_REMEDIATION_ROLE_NAME: 'DriftGuardRemediation-prod',
    DRIFTGUARD_CENTRAL_ROLE_ARN: 'arn:aws:iam::409842761733:role/driftguard-prod-central',
  });

  beforeAll(() => {
    ssm = new SSMClient(clientOptions());
  });

  it('takes a publish into effect without a deploy, with the deployment’s own settings laid over it', async () => {
    const name = `/driftguard/${unique('t')}/config`;
    const big = encodeConfigDocument(bigConfig(300));
    await put(name, big.value, big.tier);
    const load = runtimeLoader(env(name));
    const first = await load();
    expect(first.config.overrides).toHaveLength(300);
    expect(first.config).toMatchObject({
      externalId: 'generated-by-the-deployment',
      remediationRoleName: 'DriftGuardRemediation-prod',
    });
    expect(first.config.centralRoleArn).toBe('arn:aws:iam::409842761733:role/driftguard-prod-central');
    // Unchanged value: the same runtime (clients, caches) serves the next invocation.
    expect(await load()).toBe(first);

    // A published external id cannot redirect the functions: the deployment's wins.
    await put(name, JSON.stringify({ dryRun: true, externalId: 'attacker-chosen' }));
    const second = await load();
    expect(second).not.toBe(first);
    expect(second.config).toMatchObject({ dryRun: true, externalId: 'generated-by-the-deployment' });
  });

  it('keeps the last good config when a published one fails validation, and reports it', async () => {
    const name = `/driftguard/${unique('t')}/config`;
    await put(name, JSON.stringify({ trustedCidrs: ['10.0.0.0/8'] }));
    const reports: string[] = [];
    const load = runtimeLoader(env(name), { onConfigRejected: (reason) => reports.push(reason) });
    const good = await load();

    await put(name, JSON.stringify({ rules: { 'sg-open-ingress': { mode: 'destroy' } } }));
    expect(await load()).toBe(good);
    expect(reports).toEqual([
      expect.stringMatching(/at rules\["sg-open-ingress"\]\.mode; keeping the last good config$/),
    ]);

    await put(name, '{ "dryRun": ');
    expect((await load()).config.trustedCidrs).toEqual(['10.0.0.0/8']);
    expect(reports[1]).toMatch(/not JSON.*keeping the last good config/);
  });

  it('runs nothing when there has never been a good config', async () => {
    const name = `/driftguard/${unique('t')}/config`;
    await put(name, JSON.stringify({ trustedCidrs: ['not-a-cidr'] }));
    const reports: string[] = [];
    const load = runtimeLoader(env(name), { onConfigRejected: (reason) => reports.push(reason) });
    await expect(load()).rejects.toBeInstanceOf(ConfigUnavailableError);
    expect(reports).toEqual([expect.stringContaining('no good config yet, nothing runs')]);
    await expect(runtimeLoader(env(`/driftguard/${unique('none')}/config`))()).rejects.toBeInstanceOf(
      ConfigUnavailableError,
    );
  });

  it('publishes with the CLI only what validates', async () => {
    const name = `/driftguard/${unique('cli')}/config`;
    const dir = await import('node:fs').then(({ mkdtempSync }) => mkdtempSync('/tmp/orgdeploy-config-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/bad.json`, JSON.stringify({ overrides: [{ mode: 'alert' }] }));
    writeFileSync(`${dir}/good.json`, JSON.stringify(bigConfig(200)));
    const cliEnv = { AWS_ENDPOINT_URL: motoEndpoint, AWS_REGION: 'us-east-1' };

    const refused = await runCli(['config', 'publish', `${dir}/bad.json`, '--parameter', name], {
      env: cliEnv,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('exactly one of them');
    await expect(ssm.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });

    const validated = await runCli(['config', 'validate', `${dir}/good.json`]);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(
      /good\.json: valid \(\d+ bytes of JSON, stored as \d+ bytes, \w+ tier\)/,
    );

    const published = await runCli(['config', 'publish', `${dir}/good.json`, '--parameter', name], {
      env: cliEnv,
    });
    expect(published.code).toBe(0);
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));
    const decoded = decodeConfigDocument(Parameter?.Value ?? '');
    expect(decoded.ok && decoded.config.overrides).toHaveLength(200);
  });
});

describe.skipIf(!motoEndpoint)('the evaluate handler reading its config from Parameter Store', () => {
  const name = `/driftguard/${unique('handler')}/config`;
  let handler: typeof import('../../packages/functions/src/evaluate')['handler'];

  beforeAll(async () => {
    const ssm = new SSMClient(clientOptions());
    await ssm.send(
      new PutParameterCommand({
        Name: name,
        Type: 'String',
        Value: JSON.stringify({ trustedCidrs: ['10.0.0.0/8'] }),
      }),
    );
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_CONFIG_PARAMETER: name,
      DRIFTGUARD_CONFIG_MAX_AGE_SECONDS: '0',
    });
    delete process.env.DRIFTGUARD_CONFIG;
    ({ handler } = await import('../../packages/functions/src/evaluate'));
  });

  it('still reverts after someone stores a config that would switch the guardrail off invalidly', async () => {
    const ec2 = ec2Client();
    const groupOf = async () => {
      const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
      const { GroupId } = await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: unique('cfg'), Description: 'd', VpcId: Vpc?.VpcId }),
      );
      return GroupId as string;
    };
    const ingressOf = async (groupId: string) =>
      (
        await ec2.send(
          new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
        )
      ).SecurityGroupRules?.filter((rule) => !rule.IsEgress) ?? [];

    const first = await groupOf();
    const opened = await openIngress(ec2, first, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
    await handler({ Records: [sqsRecord('one', JSON.stringify(opened.event))] }, context);
    expect(await ingressOf(first)).toEqual([]);

    // "off" misspelled: invalid, so it must not take effect (and must not stop the guardrails).
    await new SSMClient(clientOptions()).send(
      new PutParameterCommand({
        Name: name,
        Type: 'String',
        Overwrite: true,
        Value: JSON.stringify({ rules: { 'sg-open-ingress': { mode: 'of' } } }),
      }),
    );
    const second = await groupOf();
    const again = await openIngress(ec2, second, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
    const response = await handler({ Records: [sqsRecord('two', JSON.stringify(again.event))] }, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(await ingressOf(second)).toEqual([]);
  });
});
