import {
  type Config,
  type Exemption,
  type ExemptionReference,
  type RecheckResult,
  referenceInScope,
} from '@driftguard/core';
import type { Announce } from './announce';
import { errorMessage } from './errors';
import type { AccountClients } from './executor';
import { stderrLogger, warnWith } from './log';
import type { Pipeline } from './pipeline';
import type { DueExemption, ExemptionStore } from './store/exemptions';
import { type Describer, describersFor } from './sweep';

export interface ExpiryCheckOptions {
  exemptions: ExemptionStore;
  /** The production pipeline: the executor's verify → act → verify applies to live state. */
  pipeline: Pipeline;
  /** Per-account clients (the remediation role) the sweep describers read live state with. */
  clients: AccountClients;
  /** The config in force (DescribeScope.config): driftguard's own footprint is re-read against it. */
  config?: Config;
  /** The describers that rebuild a change from live state (default: every one in the catalog). */
  describers?: readonly Describer[];
  announce?: Announce;
  now?: () => number;
  warn?: (message: string) => void;
}

export interface ExpiryCheck {
  exemption: Exemption;
  rechecked: RecheckResult[];
  /** False when a re-check failed: the exemption stays due and the next run tries again. */
  complete: boolean;
}

/**
 * The run id of an exemption's re-check: the re-derived changes get ids of their own
 * (`driftguard-sweep:recheck-<exemption>:…`), distinct from the original events and stable across
 * retries of the same re-check (exactly-once processing).
 */
export const recheckRunId = (exemptionId: string) => `recheck-${exemptionId}`;

/**
 * For each exemption that has ended (expired or revoked) and not been re-checked: for every
 * reference it kept (account, region, rule, resource, event id), read that one resource's live
 * state with the sweep's describer for the rule and run it through the pipeline, oldest first. The
 * exemption no longer covers it, so whatever still violates is reverted. Nothing stored is ever
 * replayed: a reference only names a resource, and what is judged is what AWS says now. A
 * reference outside the exemption's scope (not one driftguard's decision wrote) is refused with
 * its reason; a GuardDuty finding is never re-run (its own updates and the playbooks cover it).
 */
export async function checkExpiredExemptions(options: ExpiryCheckOptions): Promise<ExpiryCheck[]> {
  const now = options.now ?? Date.now;
  const warn = options.warn ?? warnWith(stderrLogger);
  const checks: ExpiryCheck[] = [];
  for (const due of await options.exemptions.due(now())) {
    const check = await checkOne(due, options, warn, now);
    if (check) checks.push(check);
  }
  return checks;
}

async function checkOne(
  due: DueExemption,
  options: ExpiryCheckOptions,
  warn: (message: string) => void,
  now: () => number,
): Promise<ExpiryCheck | undefined> {
  const record = await options.exemptions.get(due.account, due.id);
  if (!record) {
    warn(`[driftguard] exemption ${due.id} in ${due.account} is due but its record is gone; dropping it`);
    await options.exemptions.markChecked(due, new Date(now()).toISOString(), []);
    return undefined;
  }
  const { exemption } = record;
  const rechecked: RecheckResult[] = [];
  let complete = true;
  for (const stored of await options.exemptions.references(due.account, due.id)) {
    if (!stored.ok) {
      warn(`[driftguard] exemption ${due.id}: reference ${stored.eventId} refused: ${stored.problem}`);
      rechecked.push({ eventId: stored.eventId, outcome: 'refused', summary: stored.problem });
      continue;
    }
    const { reference } = stored;
    const scope = referenceInScope(exemption, reference);
    if (!scope.ok) {
      warn(`[driftguard] exemption ${due.id}: reference ${reference.eventId} refused: ${scope.reason}`);
      rechecked.push({
        eventId: reference.eventId,
        rule: reference.rule,
        outcome: 'refused',
        summary: scope.reason,
      });
      continue;
    }
    try {
      const results = await rederive(reference, exemption.id, options, now);
      rechecked.push(...results);
      if (results.some((result) => result.outcome === 'revert-failed')) complete = false;
    } catch (error) {
      complete = false;
      rechecked.push({
        eventId: reference.eventId,
        rule: reference.rule,
        outcome: 'error',
        summary: errorMessage(error),
      });
    }
  }
  if (complete) await options.exemptions.markChecked(due, new Date(now()).toISOString(), rechecked);
  else warn(`[driftguard] exemption ${due.id}: re-check incomplete, will retry on the next run`);
  await options.announce?.({
    kind: 'exemption-expired',
    at: new Date(now()).toISOString(),
    exemption,
    rechecked,
  });
  return { exemption, rechecked, complete };
}

/** One reference: the resource's live state, through the describer that reads its kind. */
async function rederive(
  reference: ExemptionReference,
  exemptionId: string,
  options: ExpiryCheckOptions,
  now: () => number,
): Promise<RecheckResult[]> {
  const base = { eventId: reference.eventId, rule: reference.rule };
  if (reference.kind === 'finding')
    return [
      {
        ...base,
        outcome: 'not-rerun',
        summary:
          'a GuardDuty finding is never re-run from a stored reference: its own updates reach driftguard as new findings',
      },
    ];
  const describers = (options.describers ?? describersFor()).filter((describer) =>
    describer.rules.includes(reference.rule),
  );
  if (describers.length === 0)
    return [
      {
        ...base,
        outcome: 'not-rederivable',
        summary: `no sweep describer reads live state for ${reference.rule}: left to the next alert on it`,
      },
    ];
  const scope = {
    runId: recheckRunId(exemptionId),
    account: reference.account,
    region: reference.region,
    regions: [reference.region],
    clients: options.clients,
    ...(options.config ? { config: options.config } : {}),
    observedAt: new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const results: RecheckResult[] = [];
  for (const describer of describers) {
    for await (const swept of describer.describe(scope)) {
      if (swept.resourceId !== reference.resource) continue;
      const processed = await options.pipeline.process(swept.event, { origin: 'sweep' });
      results.push({ ...base, outcome: processed.outcome.status, summary: processed.outcome.summary });
    }
  }
  if (results.length === 0)
    results.push({
      ...base,
      outcome: 'already-compliant',
      summary: `${reference.resource} has nothing left for ${reference.rule} to judge in live state (gone, or emptied)`,
    });
  return results;
}
