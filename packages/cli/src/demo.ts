import { fileURLToPath } from 'node:url';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { runtimeFromEnv } from '@driftguard/aws';
import { type Config, describeRule, renderSlack } from '@driftguard/core';
import { bold, cyan, describeOperation, dim, green, red, slackPreview, yellow } from './format';
import { MOTO_INSTALL_HINT, motoAvailable, startMoto } from './moto';
import { replay } from './replay';
import { authorizeIngressEvent, authorizeIngressForReal } from './simulate/cloudtrail';

export const SAMPLES_DIR = fileURLToPath(new URL('../samples', import.meta.url));

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

const step = (text: string) => console.log(`\n${bold(cyan(`▶ ${text}`))}`);
const line = (text: string) => console.log(`  ${text}`);

/** Where the pieces live in moto: one client per service, test credentials. */
function clients(endpoint: string) {
  const settings = {
    region: REGION,
    endpoint,
    credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
  };
  return { ec2: new EC2Client(settings), sns: new SNSClient(settings), sqs: new SQSClient(settings) };
}

/** An SNS topic with an SQS queue subscribed, so the demo can read back what was published. */
async function alertTopic(sns: SNSClient, sqs: SQSClient) {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'driftguard-alerts' }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'driftguard-alerts-inbox' }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
  return { topicArn: TopicArn as string, queueUrl: QueueUrl as string };
}

export async function demo(config: Config): Promise<number> {
  console.log(bold('driftguard demo: a security group opened to the internet, reverted exactly'));
  if (!motoAvailable()) {
    console.log(
      yellow(`\nmoto (the local AWS emulator) was not found. Install it with:\n  ${MOTO_INSTALL_HINT}\n`) +
        'Meanwhile, here is what driftguard decides for the bundled sample events (replay, no AWS calls):\n',
    );
    await replay(SAMPLES_DIR, { json: false, apply: false, config });
    return 0;
  }

  step('Starting a local AWS (moto) on a free loopback port');
  const moto = await startMoto();
  line(dim(moto.endpoint));
  try {
    // The pipeline reads the standard credential chain; point it at moto for this process only.
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'demo';
    process.env.AWS_SECRET_ACCESS_KEY = 'demo';
    process.env.AWS_REGION = REGION;
    const { ec2, sns, sqs } = clients(moto.endpoint);

    step('Creating a VPC and a security group with one compliant rule');
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'web-tier', Description: 'web tier', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        ],
      }),
    );
    line(`${Vpc?.VpcId} / ${groupId}: tcp/443 from 10.0.0.0/8`);
    const alerts = await alertTopic(sns, sqs);
    line(`SNS topic ${alerts.topicArn} → SQS inbox (to read the alert back)`);

    step('An engineer opens it to the internet: tcp/22 from 0.0.0.0/0 and tcp/3389 from ::/0, in one call');
    const permissions = [
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
    ];
    const addedRules = await authorizeIngressForReal(ec2, groupId, permissions);
    const event = authorizeIngressEvent({
      account: ACCOUNT,
      region: REGION,
      groupId,
      permissions,
      addedRules,
    });
    const detail = event.detail as {
      eventID: string;
      userIdentity: { arn: string };
      sourceIPAddress: string;
    };
    line(`who:   ${detail.userIdentity.arn} from ${detail.sourceIPAddress}`);
    line(
      `what:  ec2:AuthorizeSecurityGroupIngress on ${groupId} → ${addedRules.map((r) => r.SecurityGroupRuleId).join(', ')}`,
    );
    line(`where: ${ACCOUNT} / ${REGION}   (CloudTrail event ${detail.eventID})`);

    step('driftguard evaluates the CloudTrail event (the same pipeline the Lambda runs)');
    const runtime = runtimeFromEnv({ ...process.env, DRIFTGUARD_TOPIC_ARN: alerts.topicArn }, { config });
    const started = performance.now();
    const result = await runtime.pipeline.process(event);
    const elapsed = performance.now() - started;
    const { assessment, outcome } = result;
    line(
      `verdict: ${assessment.status === 'violation' ? red(`${assessment.status} (${assessment.severity})`) : assessment.status} — ${assessment.rule}`,
    );
    for (const ruleResult of assessment.results) {
      if (ruleResult.verdict.kind !== 'violation') continue;
      for (const offense of ruleResult.verdict.offenses) line(`  • ${offense.reason} [${offense.severity}]`);
    }
    line(`decision: ${assessment.action} (${assessment.decisionReason})`);
    for (const operation of assessment.operations) line(`operation: ${describeOperation(operation)}`);

    step('Verified result (re-read from EC2 after the revert)');
    line(`${outcome.status === 'reverted' ? green('✔') : red('✘')} ${outcome.summary}`);
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    for (const rule of (SecurityGroupRules ?? []).filter((r) => !r.IsEgress)) {
      const ingress = {
        protocol: rule.IpProtocol ?? '-1',
        fromPort: rule.FromPort,
        toPort: rule.ToPort,
        source: rule.CidrIpv6
          ? { kind: 'ipv6' as const, cidr: rule.CidrIpv6 }
          : { kind: 'ipv4' as const, cidr: rule.CidrIpv4 ?? '' },
      };
      line(`still on ${groupId}: ${rule.SecurityGroupRuleId} ${describeRule(ingress)}`);
    }

    step('The alert as it reads in Slack');
    console.log(slackPreview(renderSlack(result)));

    step('The alert as published to SNS (read back from the subscribed SQS queue)');
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: alerts.queueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 1 }),
    );
    const envelope = Messages?.[0]?.Body
      ? (JSON.parse(Messages[0].Body) as {
          Subject?: string;
          MessageAttributes?: Record<string, { Value: string }>;
        })
      : undefined;
    if (envelope) {
      line(`subject: ${envelope.Subject}`);
      line(
        `attributes: ${Object.entries(envelope.MessageAttributes ?? {})
          .map(([k, v]) => `${k}=${v.Value}`)
          .join(' ')}`,
      );
    } else {
      line(red('no SNS message arrived'));
    }

    step('Timing');
    line(
      `event → verified revert: ${elapsed.toFixed(0)} ms (pipeline ${result.processingMs} ms, against moto on loopback)`,
    );
    return outcome.status === 'reverted' && outcome.verified ? 0 : 1;
  } finally {
    await moto.stop();
  }
}
