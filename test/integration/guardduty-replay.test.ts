import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
import { ensureStateTable, isolationStoreForTable } from '@driftguard/aws';
import { describe, expect, it } from 'vitest';
import { guardDutyFindingEvent, instanceResource } from '../../packages/cli/src/simulate/guardduty';
import { clientOptions, dynamoClient, ec2Client, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { runCli } from '../support/cli';
import { createGroup, createNetwork, runInstance } from '../support/guardduty';

const SAMPLE = new URL('../../packages/cli/samples/guardduty-findings.json', import.meta.url).pathname;
const FIXTURE = (file: string) =>
  (
    JSON.parse(readFileSync(new URL(`../fixtures/findings/${file}`, import.meta.url), 'utf8')) as {
      input: unknown;
    }
  ).input;

describe('driftguard replay with GuardDuty findings', () => {
  it('replays the bundled sample: one line per finding, the finding version in the JSON, exit 1', async () => {
    const { code, stdout, stderr } = await runCli(['replay', SAMPLE, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(
      lines.map((line) => [line.eventName, line.rule, line.verdict, line.severity, line.action]),
    ).toEqual([
      ['Backdoor:EC2/C&CActivity.B!DNS', 'guardduty-finding', 'violation', 'critical', 'ticket'],
      [
        'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        'guardduty-finding',
        'violation',
        'high',
        'ticket',
      ],
      ['Recon:EC2/PortProbeUnprotectedPort', 'guardduty-finding', 'violation', 'low', 'alert'],
    ]);
    expect(lines[0].finding).toEqual({
      id: 'a4c6d2b0e1f94b3c8d7e6f5a4b3c2d1e',
      arn: 'arn:aws:guardduty:eu-west-1:111122223333:detector/12c4f5e6a7b8c9d0e1f2a3b4c5d6e7f8/finding/a4c6d2b0e1f94b3c8d7e6f5a4b3c2d1e',
      type: 'Backdoor:EC2/C&CActivity.B!DNS',
      severity: 9.2,
      updatedAt: '2024-03-01T11:20:41.562Z',
      count: 3,
      archived: false,
      update: false,
      resource: 'instance i-0a1b2c3d4e5f60718',
      actor: 'unknown',
    });
    expect(lines[1].actor).toBe('AssumedRole/web-server');
  });

  it('reads `aws guardduty get-findings` output ({"Findings": [...]}, PascalCase) from stdin, with a playbook config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftguard-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        rules: {
          'guardduty-finding': {
            playbookMinimumSeverity: 'high',
            playbooks: { 'isolate-instance': ['Backdoor:EC2/*'] },
          },
        },
      }),
    );
    const input = JSON.stringify({ Findings: [FIXTURE('22-pascalcase-get-findings-output.json')] });
    const { code, stdout, stderr } = await runCli(['replay', '-', '--config', config], { input });
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toContain('Backdoor:EC2/C&CActivity.B');
    expect(stdout).toContain(
      'decision: revert (high finding → alert + ticket; playbook isolate-instance (Backdoor:EC2/*)',
    );
    expect(stdout).toContain(
      'plan: ec2:IsolateEc2Instance {"InstanceId":"i-0a1b2c3d4e5f60718"} in 111122223333/eu-west-1',
    );
  });

  it('says why an unreadable finding is unreadable, with its location, and exits 2', async () => {
    const input = JSON.stringify([FIXTURE('91-invalid-severity-out-of-range.json')]);
    const { code, stderr } = await runCli(['replay', '-'], { input });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'error: <stdin>[0]: not a GuardDuty finding (severity: must be between 0 and 10)',
    );
  });

  it.skipIf(!motoEndpoint)(
    '--apply isolates the instance through the same runtime as the Lambda (state table from DRIFTGUARD_TABLE)',
    async () => {
      const ec2 = ec2Client();
      const network = await createNetwork(ec2);
      const group = await createGroup(ec2, network.vpcId, 443);
      const instance = await runInstance(ec2, network, [group]);
      const table = unique('driftguard-replay');
      await ensureStateTable(dynamoClient(), table);
      const dir = mkdtempSync(join(tmpdir(), 'driftguard-'));
      const file = join(dir, 'finding.json');
      writeFileSync(
        file,
        JSON.stringify(
          guardDutyFindingEvent({
            type: 'Backdoor:EC2/C&CActivity.B!DNS',
            severity: 9.1,
            account: HOME_ACCOUNT,
            region: 'us-east-1',
            resource: instanceResource(instance),
          }),
        ),
      );
      const config = join(dir, 'config.json');
      writeFileSync(
        config,
        JSON.stringify({
          rules: { 'guardduty-finding': { playbooks: { 'isolate-instance': ['Backdoor:*'] } } },
        }),
      );
      const { code, stdout, stderr } = await runCli(['replay', file, '--apply', '--config', config], {
        env: {
          AWS_ENDPOINT_URL: motoEndpoint,
          DRIFTGUARD_READ_ORGANIZATION: 'false',
          DRIFTGUARD_TABLE: table,
        },
      });
      expect(stderr).toBe('');
      expect(code).toBe(1);
      expect(stdout).toMatch(/✔ reverted and verified \(eni-[0-9a-f]+: sg-[0-9a-f]+ → sg-[0-9a-f]+\)/);
      const { NetworkInterfaces } = await ec2.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [{ Name: 'attachment.instance-id', Values: [instance.InstanceId as string] }],
        }),
      );
      expect(NetworkInterfaces?.[0]?.Groups?.map((g) => g.GroupName)).toEqual(['driftguard-quarantine']);
      const record = await isolationStoreForTable(table, clientOptions()).get(
        HOME_ACCOUNT,
        'us-east-1',
        instance.InstanceId as string,
      );
      expect(record?.interfaces.map((entry) => entry.groups)).toEqual([[group]]);
    },
    60_000,
  );
});
