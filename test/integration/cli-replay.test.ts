import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { ec2Client, motoEndpoint, openIngress, unique } from '../support/aws';
import { CASES_DIR } from '../support/cases';
import { runBuiltCli, runCli } from '../support/cli';

const SAMPLES = new URL('../../packages/cli/samples/cloudtrail-security-groups.json', import.meta.url)
  .pathname;
const sampleLog = JSON.parse(readFileSync(SAMPLES, 'utf8')) as { Records: Record<string, unknown>[] };
const caseEvent = (file: string) =>
  (JSON.parse(readFileSync(join(CASES_DIR, 'sg-open-ingress', file), 'utf8')) as { event: unknown }).event;
const tmp = () => mkdtempSync(join(tmpdir(), 'driftguard-'));

describe('driftguard replay', () => {
  it('prints one JSON object per event with the documented fields, and exits 1 on violations', async () => {
    // The prebuilt command, end to end: a separate process, its real exit code.
    const { code, stdout, stderr } = await runBuiltCli(['replay', SAMPLES, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(sampleLog.Records.length);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(
        expect.arrayContaining([
          'eventId',
          'eventName',
          'eventTime',
          'account',
          'region',
          'actor',
          'rule',
          'verdict',
          'reason',
          'action',
          'operations',
        ]),
      );
    }
    expect(lines.map((line) => line.verdict)).toEqual([
      'violation',
      'violation',
      'compliant',
      'ignored',
      'ignored',
    ]);
    expect(lines[0].operations).toEqual([
      {
        service: 'ec2',
        operation: 'RevokeSecurityGroupIngress',
        input: { GroupId: 'sg-0123456789abcdef0', SecurityGroupRuleIds: ['sgr-0a1b2c3d4e5f60718'] },
      },
    ]);
  });

  it('prints a readable table with a summary by default', async () => {
    const { code, stdout } = await runCli(['replay', SAMPLES]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^TIME\s+ACCOUNT\s+REGION\s+EVENT/);
    expect(stdout).toContain('5 event(s): 2 violation(s), 1 compliant, 0 not applicable, 2 ignored');
    expect(stdout).toContain('plan: ec2:RevokeSecurityGroupIngress');
  });

  it('exits 0 when nothing violates', async () => {
    const compliant = caseEvent('07-rfc-1918-sources-are-compliant.json');
    const { code, stdout } = await runCli(['replay', '-', '--json'], { input: JSON.stringify(compliant) });
    expect(JSON.parse(stdout).verdict).toBe('compliant');
    expect(code).toBe(0);
  });

  it('reads .json.gz CloudTrail logs, NDJSON, directories recursively, and stdin', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'AWSLogs', 'nested'), { recursive: true });
    writeFileSync(join(dir, 'AWSLogs', 'nested', 'log.json.gz'), gzipSync(JSON.stringify(sampleLog)));
    writeFileSync(
      join(dir, 'events.ndjson'),
      sampleLog.Records.map((record) => JSON.stringify(record)).join('\n'),
    );
    writeFileSync(join(dir, 'notes.txt'), 'ignored: not an event file');
    const fromDir = await runCli(['replay', dir, '--json']);
    expect(fromDir.stderr).toBe('');
    expect(fromDir.stdout.trim().split('\n')).toHaveLength(2 * sampleLog.Records.length);

    const fromStdin = await runCli(['replay', '-', '--json'], { input: gzipSync(JSON.stringify(sampleLog)) });
    expect(fromStdin.stdout.trim().split('\n')).toHaveLength(sampleLog.Records.length);
    expect(fromStdin.code).toBe(1);

    const arrayOfEnvelopes = await runCli(['replay', '-', '--json'], {
      input: JSON.stringify([
        caseEvent('01-ssh-from-0-0-0-0-0-eventbridge-envelope-single-object-sets-i.json'),
      ]),
    });
    expect(JSON.parse(arrayOfEnvelopes.stdout).verdict).toBe('violation');
  });

  it('exits 2 with a message that says what is wrong and where', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'broken.json'), '{"Records": [');
    const notJson = await runCli(['replay', join(dir, 'broken.json')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain(`${join(dir, 'broken.json')}: not JSON`);

    writeFileSync(join(dir, 'odd.json'), JSON.stringify({ Records: [{ eventName: 'x' }] }));
    const notCloudTrail = await runCli(['replay', join(dir, 'odd.json'), '--json']);
    expect(notCloudTrail.code).toBe(2);
    expect(notCloudTrail.stderr).toMatch(/odd\.json Records\[0\]: not a CloudTrail record \(eventID: /);

    const missing = await runCli(['replay', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file or directory');

    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ rules: { 'sg-open-ingress': { mode: 'destroy' } } }),
    );
    const badConfig = await runCli(['replay', SAMPLES, '--config', join(dir, 'config.json')]);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('rules["sg-open-ingress"].mode');

    const usage = await runCli(['replay']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'input'");
  });

  it('applies a config file: alert mode plans no operations', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ rules: { 'sg-open-ingress': { mode: 'alert' } } }),
    );
    const { stdout } = await runCli(['replay', SAMPLES, '--json', '--config', join(dir, 'config.json')]);
    const first = JSON.parse(stdout.split('\n')[0] as string);
    expect(first.action).toBe('alert');
    expect(first.operations).toEqual([]);
    expect(first.decision).toBe('rules.sg-open-ingress.mode = alert');
  });

  it('shows help for each command', async () => {
    const { code, stdout } = await runCli(['replay', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Exit codes: 0 no violation, 1 violations found, 2 bad input or usage.');
  });
});

/** Authorizes the permissions in moto for real and writes the CloudTrail event of it to a file. */
async function authorizeToFile(
  ec2: EC2Client,
  groupId: string,
  permissions: Parameters<typeof openIngress>[2],
  name: string,
) {
  const { addedRules, event } = await openIngress(ec2, groupId, permissions);
  const file = join(tmp(), name);
  writeFileSync(file, JSON.stringify(event));
  return { file, addedRules };
}

describe.skipIf(!motoEndpoint)('driftguard replay --apply (against moto)', () => {
  it('executes the plan through AWS_ENDPOINT_URL and prints the verified outcome', async () => {
    const ec2 = ec2Client();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('apply'), Description: 'd', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    const permissions = [
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ];
    const { file, addedRules } = await authorizeToFile(ec2, groupId, permissions, 'event.json');

    const { code, stdout, stderr } = await runCli(['replay', file, '--apply'], {
      env: { AWS_ENDPOINT_URL: motoEndpoint, DRIFTGUARD_READ_ORGANIZATION: 'false' },
    });

    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toContain(`✔ reverted and verified (${addedRules[0]?.SecurityGroupRuleId})`);
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    expect((SecurityGroupRules ?? []).filter((rule) => !rule.IsEgress)).toEqual([]);
  });

  it('with --apply, also runs changes whose verdict needs live reads (a rule added to a default group by id)', async () => {
    const ec2 = ec2Client();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { SecurityGroups } = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [Vpc?.VpcId as string] },
          { Name: 'group-name', Values: ['default'] },
        ],
      }),
    );
    const groupId = SecurityGroups?.[0]?.GroupId as string;
    // Trusted source: only default-sg-in-use objects, and only once it knows the group is a default one.
    const permissions = [
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    ];
    const { file, addedRules } = await authorizeToFile(ec2, groupId, permissions, 'default-group.json');

    const offline = await runCli(['replay', file, '--json']);
    expect(JSON.parse(offline.stdout).operations).toEqual([]);

    const { code, stdout } = await runCli(['replay', file, '--apply'], {
      env: { AWS_ENDPOINT_URL: motoEndpoint, DRIFTGUARD_READ_ORGANIZATION: 'false' },
    });
    expect(code).toBe(1);
    expect(stdout).toContain('default-sg-in-use');
    expect(stdout).toContain('✔ reverted and verified');
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    const added = new Set(addedRules.map((rule) => rule.SecurityGroupRuleId));
    expect((SecurityGroupRules ?? []).filter((rule) => added.has(rule.SecurityGroupRuleId))).toEqual([]);
  });
});
