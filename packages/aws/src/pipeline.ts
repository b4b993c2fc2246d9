import {
  type Assessment,
  assess,
  type Config,
  normalizeCloudTrail,
  type OperationResult,
  type OrganizationInfo,
  outcomeFromResults,
  outcomeWithoutExecution,
  type Report,
  trustZoneOf,
} from '@driftguard/core';
import { errorMessage, InvalidEventError } from './errors';
import type { Executor } from './executor';
import type { SnapshotStore } from './store/snapshots';

/** A channel that tells people about a decision (SNS, Slack, tickets…). */
export interface Notifier {
  channel: string;
  notify(report: Report): Promise<void>;
}

export interface NotificationResult {
  channel: string;
  ok: boolean;
  detail?: string;
}

export interface ProcessedEvent extends Report {
  notifications: NotificationResult[];
  /** Milliseconds from the start of processing to the verified outcome. */
  processingMs: number;
}

export interface PipelineOptions {
  config: Config;
  execute: Executor;
  notifiers?: Notifier[];
  /** The organization's accounts (cached reader); config's trustedAccounts apply either way. */
  organization?: () => Promise<OrganizationInfo>;
  /** Where compliant documents are kept as last-known-good. */
  snapshots?: SnapshotStore;
  now?: () => number;
}

export interface Pipeline {
  /** Decides, acts, verifies and notifies for one EventBridge event or CloudTrail record. */
  process(input: unknown): Promise<ProcessedEvent>;
}

/**
 * The one pipeline behind the Lambda, `replay --apply` and the demo: normalize → assess (pure) →
 * execute the exact revert (verify → act → verify) → notify. Notification failures are recorded,
 * never thrown: they must not hide or undo a verified revert.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const now = options.now ?? Date.now;
  const notifiers = options.notifiers ?? [];
  return {
    async process(input) {
      const started = now();
      const normalized = normalizeCloudTrail(input);
      if (!normalized.ok) throw new InvalidEventError(normalized.reason);
      const organization = options.organization ? await options.organization() : undefined;
      const assessment = assess(normalized.change, options.config, trustZoneOf(options.config, organization));
      await rememberCompliant(assessment, options.snapshots);
      let outcome = outcomeWithoutExecution(assessment);
      if (assessment.action === 'revert') {
        const results: OperationResult[] = [];
        // Sequential on purpose: operations of one event touch the same resource.
        for (const operation of assessment.operations) results.push(await options.execute(operation));
        outcome = outcomeFromResults(results);
      }
      const finished = now();
      const report: Report = {
        assessment,
        outcome,
        latencyMs: finished - Date.parse(assessment.event.eventTime),
      };
      const notifications =
        assessment.status === 'violation'
          ? await Promise.all(
              notifiers.map(async (notifier): Promise<NotificationResult> => {
                try {
                  await notifier.notify(report);
                  return { channel: notifier.channel, ok: true };
                } catch (error) {
                  return { channel: notifier.channel, ok: false, detail: errorMessage(error) };
                }
              }),
            )
          : [];
      return { ...report, notifications, processingMs: finished - started };
    },
  };
}

/** Compliant documents become the last-known-good that later reverts restore. */
async function rememberCompliant(
  assessment: Assessment,
  snapshots: SnapshotStore | undefined,
): Promise<void> {
  if (!snapshots) return;
  for (const result of assessment.results) {
    if (result.verdict.kind !== 'compliant' || !result.verdict.snapshot) continue;
    await snapshots.put({
      ...result.verdict.snapshot,
      account: assessment.event.account,
      region: assessment.event.region,
      seenAt: assessment.event.eventTime,
      source: 'event',
    });
  }
}
