import {
  type AccountClients,
  accountClients,
  accountCredentials,
  announcer,
  type BreakerStore,
  createEnforcement,
  createExecutor,
  createPipeline,
  dynamoBreakerStore,
  dynamoExemptionStore,
  type ExemptionStore,
  ensureStateTable,
  type Notifier,
  type Pipeline,
  type PipelineOptions,
  stateDocumentClient,
} from '@driftguard/aws';
import type { Announcement, Config, Report } from '@driftguard/core';
import { clientOptions, dynamoClient, HOME_ACCOUNT, stsClient, unique } from './aws';

/** A settable clock shared by the pipeline, the enforcement and the expiry check. */
export interface Clock {
  now: () => number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function clock(start = Date.now()): Clock {
  let current = start;
  return {
    now: () => current,
    set: (ms) => {
      current = ms;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/** A channel that keeps every report it is given. */
export function recordingNotifier(
  channel = 'sns',
  phase?: Notifier['phase'],
): Notifier & { reports: Report[] } {
  const reports: Report[] = [];
  return {
    channel,
    ...(phase ? { phase } : {}),
    reports,
    async notify(report) {
      reports.push(report);
    },
  };
}

export interface EnforcedPipeline {
  pipeline: Pipeline;
  exemptions: ExemptionStore;
  breakers: BreakerStore;
  announcements: Announcement[];
  announce: ReturnType<typeof announcer>;
  tableName: string;
  /** Per-account clients (the remediation role in moto): what the expiry re-check reads live state with. */
  clients: AccountClients;
}

/**
 * The production pipeline against moto with the enforcement wired to a fresh state table:
 * exemptions, circuit breaker, announcements recorded in memory.
 */
export async function enforcedPipeline(options: {
  config: Config;
  clock: Clock;
  notifiers?: Notifier[];
  route?: PipelineOptions['route'];
}): Promise<EnforcedPipeline> {
  const tableName = unique('driftguard-state');
  await ensureStateTable(dynamoClient(), tableName);
  const ddb = stateDocumentClient(dynamoClient());
  const exemptions = dynamoExemptionStore(ddb, tableName);
  const breakers = dynamoBreakerStore(ddb, tableName, { now: options.clock.now });
  const announcements: Announcement[] = [];
  const announce = announcer([{ channel: 'recorder', announce: async (a) => void announcements.push(a) }]);
  const { endpoint } = clientOptions();
  const credentialsFor = accountCredentials({
    sts: stsClient(),
    roleName: options.config.remediationRoleName,
    homeAccount: HOME_ACCOUNT,
  });
  const execute = createExecutor({ config: options.config, credentialsFor, endpoint });
  const enforcement = createEnforcement({
    config: options.config,
    exemptions,
    breakers,
    announce,
    now: options.clock.now,
  });
  const pipeline = createPipeline({
    config: options.config,
    execute,
    notifiers: options.notifiers ?? [],
    enforcement,
    now: options.clock.now,
    ...(options.route ? { route: options.route } : {}),
  });
  const clients = accountClients({ credentialsFor, ...(endpoint ? { endpoint } : {}) });
  return { pipeline, exemptions, breakers, announcements, announce, tableName, clients };
}
