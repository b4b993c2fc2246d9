import type { DeploymentContext } from './context';
import { topicKeyPolicy, topicPolicy } from './policies';

/** Attribute names of the single state table; packages/aws/src/store/table.ts (TABLE_KEYS) must agree. */
export const TABLE_ATTRIBUTES = { partition: 'pk', sort: 'sk', ttl: 'expiresAt' } as const;

/**
 * driftguard's state: one DynamoDB table (dedupe, snapshots, audit, breakers…), the exemptions' own
 * table, and the alerts
 * topic. Production keeps both safe from a stray delete: deletion protection on the table, and
 * `removal: retain` in sst.config.ts for everything.
 */
export function createState(context: DeploymentContext) {
  const { names, settings } = context;

  // Both tables: on-demand (event-driven load is spiky and mostly idle: nothing to pay at rest),
  // the same keys and TTL, and 35 days of point-in-time history (the audit trail is evidence).
  const tableArgs = (name: string) => ({
    name,
    billingMode: 'PAY_PER_REQUEST',
    hashKey: TABLE_ATTRIBUTES.partition,
    rangeKey: TABLE_ATTRIBUTES.sort,
    attributes: [
      { name: TABLE_ATTRIBUTES.partition, type: 'S' },
      { name: TABLE_ATTRIBUTES.sort, type: 'S' },
    ],
    ttl: { attributeName: TABLE_ATTRIBUTES.ttl, enabled: true },
    pointInTimeRecovery: { enabled: true },
    deletionProtectionEnabled: settings.production,
  });
  const table = new aws.dynamodb.Table('StateTable', tableArgs(names.table));

  // Exemptions and requests live apart: a resource policy denies writes to everyone but
  // driftguard's functions (infra/exemption-api.ts), with no condition on item keys to get wrong.
  const exemptionsTable = new aws.dynamodb.Table('ExemptionsTable', tableArgs(names.exemptionsTable));

  const topicKey = new aws.kms.Key('AlertsTopicKey', {
    description: `driftguard ${context.stage}: encrypts the alerts topic`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: $resolve([context.account, context.partition]).apply(([account, partition]) =>
      JSON.stringify(topicKeyPolicy(account, partition)),
    ),
  });

  const topic = new aws.sns.Topic('AlertsTopic', {
    name: names.topic,
    // A customer managed key: the AWS managed SNS key cannot let CloudWatch alarms publish.
    kmsMasterKeyId: topicKey.arn,
  });

  new aws.sns.TopicPolicy('AlertsTopicPolicy', {
    arn: topic.arn,
    policy: $resolve([topic.arn, context.account]).apply(([arn, account]) =>
      JSON.stringify(topicPolicy(arn, account)),
    ),
  });

  return { table, exemptionsTable, topic, topicKey };
}
