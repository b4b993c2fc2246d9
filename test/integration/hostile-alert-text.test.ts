import { CreateSecurityGroupCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { runtimeFromEnv } from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processRecord } from '../../packages/functions/src/evaluate';
import { ec2Client, motoEndpoint, openIngress, unique } from '../support/aws';
import { runCli } from '../support/cli';
import { sqsRecord } from '../support/lambda';
import { configWith, type Loopback, loopback } from '../support/notify';

// Attacks from the December review (issue 12 §4): text an attacker chooses (a role name, a session
// name, a user agent) reaches people through Slack and the CLI. Role and session names allow
// `_`, `.`, `@`, `=`, `,`, `+`, `-`: enough to italicize, and to make a domain Slack turns into a link.
const ROLE = 'terraform_x_@phish.example.com';
const BIDI = '\u202e';

describe.skipIf(!motoEndpoint)('untrusted text through the evaluate handler and the CLI', () => {
  let slack: Loopback;

  beforeAll(async () => {
    slack = await loopback(() => ({ status: 200, body: 'ok' }));
  });
  afterAll(async () => {
    await slack?.close();
  });

  async function hostileEvent() {
    const ec2 = ec2Client();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('h'), Description: 'd', VpcId: Vpc?.VpcId }),
    );
    // tcp/443 from the internet: high, not critical (critical exposures are reverted whoever made them).
    const permissions = [
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ];
    const { event } = await openIngress(ec2, GroupId as string, permissions);
    const detail = (event as { detail: Record<string, unknown> }).detail;
    const account = detail.recipientAccountId as string;
    detail.userIdentity = {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:deploy',
      arn: `arn:aws:sts::${account}:assumed-role/${ROLE}/deploy${BIDI}.evil`,
      accountId: account,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEID',
          arn: `arn:aws:iam::${account}:role/${ROLE}`,
          accountId: account,
          userName: ROLE,
        },
      },
    };
    detail.userAgent = `terraform/1.9 ${BIDI}0/0.0.0.0`;
    return event;
  }

  it('Slack: the infrastructure-as-code decision line quotes the role inside a code span only', async () => {
    const runtime = runtimeFromEnv(
      {
        AWS_ENDPOINT_URL: motoEndpoint as string,
        AWS_REGION: 'us-east-1',
        DRIFTGUARD_READ_ORGANIZATION: 'false',
        SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/SECRET`,
      },
      {
        config: configWith({
          infrastructureAsCode: { roleArns: [`arn:aws:iam::123456789012:role/${ROLE}`], mode: 'alert' },
        }),
      },
    );
    await processRecord(sqsRecord('iac', JSON.stringify(await hostileEvent())), runtime);

    expect(slack.requests).toHaveLength(1);
    const body = slack.requests[0]?.body ?? '';
    expect(body).not.toContain(BIDI);
    const message = JSON.parse(body) as { blocks: { text?: { text: string } }[] };
    const did = message.blocks
      .map((block) => block.text?.text ?? '')
      .find((text) => text.startsWith('*What driftguard did*'));
    expect(did).toContain(`infrastructure-as-code change by role arn:aws:iam::123456789012:role/${ROLE}`);
    const outside = (did ?? '').replace(/`[^`]*`/g, '');
    expect(outside).toBe('*What driftguard did*\n\n_Decision:_ ');
  });

  it('CLI: replay prints no bidirectional control character, in the table or as JSON', async () => {
    const event = JSON.stringify(await hostileEvent());
    const table = await runCli(['replay', '-'], { input: event });
    expect(table.code).toBe(1);
    expect(table.stdout).not.toContain(BIDI);
    const json = await runCli(['replay', '-', '--json'], { input: event });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).actor).toBe(`arn:aws:sts::123456789012:assumed-role/${ROLE}/deploy.evil`);
    expect(json.stdout).not.toContain(BIDI);
  });
});
