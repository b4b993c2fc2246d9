import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Config, parseConfig, renderSns } from '@driftguard/core';
import { clientConfig } from './clients';
import { accountCredentials } from './credentials';
import { sendToDeadLetter } from './dead-letter';
import { DriftguardError } from './errors';
import { createExecutor } from './executor';
import { organizationReader } from './organization';
import { createPipeline, type Notifier, type Pipeline } from './pipeline';
import { publishToSns } from './sns';
import { dynamoSnapshotStore } from './store/snapshots';

export interface Runtime {
  config: Config;
  pipeline: Pipeline;
  /** Sends a message that can never succeed to the DLQ; undefined when no DLQ is configured. */
  deadLetter?: (body: string, reason: string) => Promise<void>;
}

/** Environment the evaluate function (and `replay --apply`) reads. Secrets never come from here in AWS. */
export interface RuntimeEnv {
  DRIFTGUARD_CONFIG?: string;
  DRIFTGUARD_TOPIC_ARN?: string;
  DRIFTGUARD_DLQ_URL?: string;
  /** The state table (snapshots, audit, dedupe, exemptions). */
  DRIFTGUARD_TABLE?: string;
  /** "false" skips Organizations (the trust zone is then config.trustedAccounts only). */
  DRIFTGUARD_READ_ORGANIZATION?: string;
  AWS_REGION?: string;
  AWS_ENDPOINT_URL?: string;
}

export function configFromEnv(env: RuntimeEnv): Config {
  let raw: unknown = {};
  if (env.DRIFTGUARD_CONFIG) {
    try {
      raw = JSON.parse(env.DRIFTGUARD_CONFIG);
    } catch (error) {
      throw new DriftguardError('DRIFTGUARD_CONFIG is not valid JSON', { cause: error });
    }
  }
  const parsed = parseConfig(raw);
  if (!parsed.ok) throw new DriftguardError(parsed.reason);
  return parsed.config;
}

/**
 * Wires the pipeline from the environment: one place shared by the Lambda and the CLI, so both
 * run exactly the same code. Clients are created once per process (Lambda container reuse).
 */
export function runtimeFromEnv(
  env: RuntimeEnv,
  overrides: { config?: Config; notifiers?: Notifier[] } = {},
): Runtime {
  const config = overrides.config ?? configFromEnv(env);
  const region = env.AWS_REGION ?? 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL;
  const sts = new STSClient(clientConfig({ region, endpoint }));
  const credentialsFor = accountCredentials({
    sts,
    roleName: config.remediationRoleName,
    externalId: config.externalId,
  });
  const notifiers: Notifier[] = [...(overrides.notifiers ?? [])];
  if (env.DRIFTGUARD_TOPIC_ARN) {
    const topicArn = env.DRIFTGUARD_TOPIC_ARN;
    const sns = new SNSClient(clientConfig({ region, endpoint }));
    notifiers.push({
      channel: 'sns',
      notify: async (report) => void (await publishToSns(sns, topicArn, renderSns(report))),
    });
  }
  const tableName = env.DRIFTGUARD_TABLE;
  const snapshots = tableName
    ? dynamoSnapshotStore(
        DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig({ region, endpoint }))),
        tableName,
      )
    : undefined;
  const organization =
    env.DRIFTGUARD_READ_ORGANIZATION === 'false'
      ? undefined
      : organizationReader({
          organizations: new OrganizationsClient(clientConfig({ region: 'us-east-1', endpoint })),
          onError: (message) =>
            console.warn(`[driftguard] ${message}; trust zone = config.trustedAccounts only`),
        });
  const execute = createExecutor({
    config,
    credentialsFor,
    ...(endpoint ? { endpoint } : {}),
    ...(snapshots ? { snapshots } : {}),
  });
  const dlqUrl = env.DRIFTGUARD_DLQ_URL;
  const sqs = dlqUrl ? new SQSClient(clientConfig({ region, endpoint })) : undefined;
  return {
    config,
    pipeline: createPipeline({
      config,
      execute,
      notifiers,
      ...(organization ? { organization } : {}),
      ...(snapshots ? { snapshots } : {}),
    }),
    ...(dlqUrl && sqs ? { deadLetter: (body, reason) => sendToDeadLetter(sqs, dlqUrl, body, reason) } : {}),
  };
}
