import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  CHANNELS,
  type Config,
  type OrganizationInfo,
  parseConfig,
  renderSns,
  routeNotification,
  unknownRouteRules,
} from '@driftguard/core';
import type { Announce } from './announce';
import { type ChannelEnv, httpChannels, isKnownChannel } from './channels';
import { clientConfig } from './clients';
import { accountCredentials } from './credentials';
import { sendToDeadLetter } from './dead-letter';
import { enforcementFromEnv } from './enforcement-runtime';
import { DriftguardError } from './errors';
import { type AccountClients, accountClients, createExecutor } from './executor';
import { liveFactReader } from './live-facts';
import { organizationReader } from './organization';
import { createPipeline, type Notifier, type Pipeline } from './pipeline';
import { publishToSns } from './sns';
import { dynamoAuditStore, dynamoNotificationLedger } from './store/audit';
import { dynamoDedupeStore } from './store/dedupe';
import type { ExemptionStore } from './store/exemptions';
import { dynamoFindingMarkStore } from './store/findings';
import { dynamoHighWaterStore } from './store/high-water';
import { dynamoIsolationStore } from './store/isolations';
import { dynamoSnapshotStore } from './store/snapshots';
import { dynamoTicketStore } from './store/tickets';

export interface Runtime {
  config: Config;
  pipeline: Pipeline;
  /** Sends a message that can never succeed to the DLQ; undefined when no DLQ is configured. */
  deadLetter?: (body: string, reason: string) => Promise<void>;
  /** Notification channels that are configured (secrets present), e.g. ["slack", "sns"]. */
  channels?: string[];
  /** Per-account clients (assumed role): the executor's, shared with the sweep's describers. */
  clients?: AccountClients;
  /** The organization's accounts (cached), when Organizations is read. */
  organization?: () => Promise<OrganizationInfo>;
  /** Deliveries after which the queue dead-letters a message: the handler attaches the reason on the last. */
  maxReceiveCount?: number;
  /** Break-glass exemptions (when enabled and the state table is configured). */
  exemptions?: ExemptionStore;
  /** Announcements: exemption granted/used/ended, circuit breaker opened. */
  announce?: Announce;
}

/** Environment the evaluate function (and `replay --apply`) reads. Secrets never come from here in AWS. */
export interface RuntimeEnv extends ChannelEnv {
  DRIFTGUARD_CONFIG?: string;
  DRIFTGUARD_TOPIC_ARN?: string;
  DRIFTGUARD_DLQ_URL?: string;
  /** The state table (snapshots, audit, dedupe, exemptions). */
  DRIFTGUARD_TABLE?: string;
  /** "false" skips Organizations (the trust zone is then config.trustedAccounts only). */
  DRIFTGUARD_READ_ORGANIZATION?: string;
  /** The source queue's maxReceiveCount (default 5): on the last delivery a failure goes to the DLQ with its reason. */
  DRIFTGUARD_MAX_RECEIVE_COUNT?: string;
  /** Per-attempt timeout of every AWS call, in ms (default 10000). */
  DRIFTGUARD_REQUEST_TIMEOUT_MS?: string;
  /**
   * How long a delivery's claim on an event holds (default 120): longer than the function timeout,
   * shorter than the queue's visibility timeout, so a crashed delivery's retry always takes over.
   */
  DRIFTGUARD_DEDUPE_LOCK_SECONDS?: string;
  AWS_REGION?: string;
  AWS_ENDPOINT_URL?: string;
  /** Set by Lambda; with it, the home account is also remediated through the assumed member role. */
  AWS_LAMBDA_FUNCTION_NAME?: string;
  /** "true"/"false" overrides that choice (e.g. a local run that must act through the role). */
  DRIFTGUARD_ASSUME_AT_HOME?: string;
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
  overrides: { config?: Config; notifiers?: Notifier[]; fetch?: typeof fetch } = {},
): Runtime {
  const config = overrides.config ?? configFromEnv(env);
  const region = env.AWS_REGION ?? 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL;
  const requestTimeoutMs = positiveInt(env.DRIFTGUARD_REQUEST_TIMEOUT_MS, 'DRIFTGUARD_REQUEST_TIMEOUT_MS');
  const sts = new STSClient(clientConfig({ region, endpoint, requestTimeoutMs }));
  const credentialsFor = accountCredentials({
    sts,
    roleName: config.remediationRoleName,
    externalId: config.externalId,
    // In Lambda the central role has no remediation actions: act at home through the member role too.
    assumeAtHome: env.DRIFTGUARD_ASSUME_AT_HOME
      ? env.DRIFTGUARD_ASSUME_AT_HOME === 'true'
      : Boolean(env.AWS_LAMBDA_FUNCTION_NAME),
  });
  const notifiers: Notifier[] = [...(overrides.notifiers ?? [])];
  if (env.DRIFTGUARD_TOPIC_ARN) {
    const topicArn = env.DRIFTGUARD_TOPIC_ARN;
    const sns = new SNSClient(clientConfig({ region, endpoint, requestTimeoutMs }));
    notifiers.push({
      channel: 'sns',
      notify: async (report) => void (await publishToSns(sns, topicArn, renderSns(report))),
    });
  }
  const tableName = env.DRIFTGUARD_TABLE;
  const ddb = tableName
    ? DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig({ region, endpoint, requestTimeoutMs })))
    : undefined;
  const snapshots = tableName && ddb ? dynamoSnapshotStore(ddb, tableName) : undefined;
  // Alerts and tickets: audit first, then channels routed per rule and severity (notify package).
  const http = httpChannels(env, config, {
    ...(tableName && ddb ? { tickets: dynamoTicketStore(ddb, tableName) } : {}),
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
  });
  notifiers.unshift(...http.notifiers);
  for (const warning of [
    ...http.warnings,
    ...unknownRouteRules(config).map((rule) => `notifications.byRule names unknown rule "${rule}"`),
  ])
    console.warn(`[driftguard] ${warning}`);
  const available = notifiers
    .map((notifier) => notifier.channel)
    .filter((channel) => isKnownChannel(channel, CHANNELS));
  const audit =
    tableName && ddb
      ? {
          audit: dynamoAuditStore(ddb, tableName, {
            retentionDays: config.notifications.audit.retentionDays,
          }),
          ledger: dynamoNotificationLedger(ddb, tableName),
        }
      : {};
  const organization =
    env.DRIFTGUARD_READ_ORGANIZATION === 'false'
      ? undefined
      : organizationReader({
          organizations: new OrganizationsClient(
            clientConfig({ region: 'us-east-1', endpoint, requestTimeoutMs }),
          ),
          onError: (message) =>
            console.warn(`[driftguard] ${message}; trust zone = config.trustedAccounts only`),
        });
  // One set of per-account clients for the live reads before evaluating and for the executor.
  const clients = accountClients({ credentialsFor, requestTimeoutMs, ...(endpoint ? { endpoint } : {}) });
  const execute = createExecutor({
    config,
    credentialsFor,
    clients,
    ...(endpoint ? { endpoint } : {}),
    ...(snapshots ? { snapshots } : {}),
    ...(organization ? { organization } : {}),
    // GuardDuty isolate playbook: the previous groups of isolated instances.
    ...(tableName && ddb ? { isolations: dynamoIsolationStore(ddb, tableName) } : {}),
  });
  // OU overrides, exemptions, circuit breaker, announcements (enforcement-runtime.ts).
  const enforcement = enforcementFromEnv(env, config, { ...(ddb ? { ddb } : {}), requestTimeoutMs });
  const dlqUrl = env.DRIFTGUARD_DLQ_URL;
  const sqs = dlqUrl ? new SQSClient(clientConfig({ region, endpoint, requestTimeoutMs })) : undefined;
  return {
    config,
    pipeline: createPipeline({
      config,
      execute,
      notifiers,
      ...(organization ? { organization } : {}),
      ...(snapshots ? { snapshots } : {}),
      liveFacts: liveFactReader(clients),
      ...audit,
      // Exactly-once effects and out-of-order protection live in the same table.
      ...(tableName && ddb
        ? {
            dedupe: dynamoDedupeStore(ddb, tableName, {
              lockMs:
                1000 *
                (positiveInt(env.DRIFTGUARD_DEDUPE_LOCK_SECONDS, 'DRIFTGUARD_DEDUPE_LOCK_SECONDS') ?? 120),
            }),
            highWater: dynamoHighWaterStore(ddb, tableName),
          }
        : {}),
      // GuardDuty: the last version of each finding acted on (updates refresh, stale ones are ignored).
      ...(tableName && ddb ? { findings: dynamoFindingMarkStore(ddb, tableName) } : {}),
      enforcement: enforcement.enforcement,
      route: (report) => {
        const route = routeNotification(report.assessment, config, available);
        // Channels passed in by the caller that driftguard does not know fire on every violation.
        const custom =
          report.assessment.status === 'violation'
            ? notifiers.map((n) => n.channel).filter((channel) => !isKnownChannel(channel, CHANNELS))
            : [];
        return { channels: [...route.channels, ...custom], reason: route.reason };
      },
    }),
    channels: notifiers.map((notifier) => notifier.channel),
    clients,
    ...(organization ? { organization } : {}),
    ...(enforcement.exemptions ? { exemptions: enforcement.exemptions } : {}),
    announce: enforcement.announce,
    maxReceiveCount: positiveInt(env.DRIFTGUARD_MAX_RECEIVE_COUNT, 'DRIFTGUARD_MAX_RECEIVE_COUNT') ?? 5,
    ...(dlqUrl && sqs ? { deadLetter: (body, reason) => sendToDeadLetter(sqs, dlqUrl, body, reason) } : {}),
  };
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new DriftguardError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return parsed;
}
