import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '@driftguard/core';
import { type Announce, type AnnouncementChannel, announcer, snsAnnouncementChannel } from './announce';
import { clientConfig } from './clients';
import { createEnforcement, type Enforcement } from './enforcement';
import { type DriftguardLogger, stderrLogger, warnWith } from './log';
import { accountPlacementReader } from './placement';
import { dynamoBreakerStore } from './store/breaker';
import { dynamoExemptionStore, type ExemptionStore } from './store/exemptions';

export interface EnforcementRuntime {
  enforcement: Enforcement;
  /** Present when exemptions are enabled and the state table is configured. */
  exemptions?: ExemptionStore;
  announce: Announce;
}

/**
 * Wires overrides by OU (Organizations ListParents), exemptions and the circuit breaker (state
 * table) and the announcement channels (SNS topic, plus any passed in) from the environment.
 */
export function enforcementFromEnv(
  env: {
    DRIFTGUARD_TOPIC_ARN?: string;
    DRIFTGUARD_TABLE?: string;
    /** The exemptions' own table (deployed: only driftguard's functions may write it); default: DRIFTGUARD_TABLE. */
    DRIFTGUARD_EXEMPTIONS_TABLE?: string;
    DRIFTGUARD_READ_ORGANIZATION?: string;
    AWS_REGION?: string;
    AWS_ENDPOINT_URL?: string;
  },
  config: Config,
  options: {
    ddb?: DynamoDBDocumentClient;
    requestTimeoutMs?: number;
    channels?: AnnouncementChannel[];
    now?: () => number;
    /** Where what it survives is reported; default stderr (the functions pass their Logger). */
    logger?: DriftguardLogger;
  } = {},
): EnforcementRuntime {
  const region = env.AWS_REGION ?? 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL;
  const settings = { endpoint, requestTimeoutMs: options.requestTimeoutMs };
  const channels = [...(options.channels ?? [])];
  if (env.DRIFTGUARD_TOPIC_ARN)
    channels.push(
      snsAnnouncementChannel(new SNSClient(clientConfig({ region, ...settings })), env.DRIFTGUARD_TOPIC_ARN),
    );
  const logger = options.logger ?? stderrLogger;
  const announce = announcer(channels, warnWith(logger));
  const table = env.DRIFTGUARD_TABLE;
  const exemptionsTable = env.DRIFTGUARD_EXEMPTIONS_TABLE || table;
  const exemptions =
    exemptionsTable && options.ddb && config.exemptions.enabled
      ? dynamoExemptionStore(options.ddb, exemptionsTable)
      : undefined;
  const breakers =
    table && options.ddb && config.circuitBreaker.enabled
      ? dynamoBreakerStore(options.ddb, table, options.now ? { now: options.now } : {})
      : undefined;
  const placement =
    env.DRIFTGUARD_READ_ORGANIZATION !== 'false' && config.overrides.some((o) => o.organizationalUnits)
      ? accountPlacementReader({
          organizations: new OrganizationsClient(clientConfig({ region: 'us-east-1', ...settings })),
          onError: (message) => logger.warn(`${message}; OU overrides not applied`),
        })
      : undefined;
  return {
    enforcement: createEnforcement({
      config,
      announce,
      warn: warnWith(logger),
      ...(options.now ? { now: options.now } : {}),
      ...(placement ? { placement } : {}),
      ...(exemptions ? { exemptions } : {}),
      ...(breakers ? { breakers } : {}),
    }),
    ...(exemptions ? { exemptions } : {}),
    announce,
  };
}
