import {
  type AccountPlacement,
  type Assessment,
  type BreakerView,
  breakerKey,
  breakerResourceKey,
  breakerSettings,
  breakerView,
  type Change,
  type Config,
  type EnforcementContext,
  type Exemption,
  exemptionUsedAnnouncement,
  type Outcome,
  type RuleResult,
  recordRevert,
  recordTrip,
} from '@driftguard/core';
import type { Announce } from './announce';
import { DriftguardError, errorMessage } from './errors';
import type { BreakerStore } from './store/breaker';
import type { ExemptionStore } from './store/exemptions';

/** An exemption's use could not be recorded: the expiry re-check would miss it, so the event fails. */
export class ExemptionUseError extends DriftguardError {}

export interface EnforcementOptions {
  config: Config;
  /** The account's OUs (Organizations ListParents, cached); read only when OU overrides exist. */
  placement?: (account: string) => Promise<AccountPlacement | undefined>;
  /** Break-glass exemptions (read only when `exemptions.enabled`). */
  exemptions?: ExemptionStore;
  /** Circuit-breaker state (used only when `circuitBreaker.enabled`). */
  breakers?: BreakerStore;
  /** Exemption used, circuit breaker opened. */
  announce?: Announce;
  now?: () => number;
  warn?: (message: string) => void;
}

/**
 * The stateful side of the decision, around the pure `assess`: it reads what the decision needs
 * (placement, exemptions, breaker counts) and, once the outcome is known, writes what happened
 * (reverts counted, breakers opened, exemption uses kept for the expiry re-check) and announces it.
 */
export interface Enforcement {
  assess(change: Change, assessWith: (context: EnforcementContext) => Assessment): Promise<Assessment>;
  record(report: { assessment: Assessment; outcome: Outcome }, input: unknown): Promise<void>;
  /** The account's OUs when an override names OUs (else undefined: nothing to read). */
  placement(account: string): Promise<AccountPlacement | undefined>;
}

const sameOperation = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function resourceKeyOf(assessment: Assessment, result: RuleResult): string | undefined {
  if (result.verdict.kind !== 'violation') return undefined;
  const { account, region } = assessment.event;
  return breakerResourceKey(account, region, result.verdict.resource);
}

export function createEnforcement(options: EnforcementOptions): Enforcement {
  const { config } = options;
  const now = options.now ?? Date.now;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const settings = breakerSettings(config);
  const hasOuOverrides = config.overrides.some((override) => override.organizationalUnits);
  const exemptions = config.exemptions.enabled ? options.exemptions : undefined;
  const breakers = config.circuitBreaker.enabled ? options.breakers : undefined;

  const placementOf = async (account: string) =>
    hasOuOverrides && options.placement ? await options.placement(account) : undefined;

  return {
    placement: placementOf,

    async assess(change, assessWith) {
      const at = now();
      const placement = await placementOf(change.account);
      const base: EnforcementContext = { now: at, ...(placement ? { placement } : {}) };
      const first = assessWith(base);
      // Exemptions and breakers matter only for violations something would be done about.
      const acting = first.results.filter(
        (result) => result.verdict.kind === 'violation' && result.decision.action !== 'none',
      );
      if (acting.length === 0 || (!exemptions && !breakers)) return first;
      let recorded: Exemption[] = [];
      if (exemptions) {
        try {
          recorded = await exemptions.forAccount(change.account, at);
        } catch (error) {
          // Deciding without them could revert a change a person was allowed to make: fail the
          // event instead, so the queue retries it.
          throw new DriftguardError(
            `cannot read the exemptions of ${change.account} for event ${change.eventId}: ${errorMessage(error)}`,
            { cause: error },
          );
        }
      }
      const views: Record<string, BreakerView> = {};
      for (const result of breakers ? acting : []) {
        if (result.decision.action !== 'revert' || !breakers) continue;
        const resource = resourceKeyOf(first, result);
        if (!resource) continue;
        try {
          const record = await breakers.get(result.rule, resource);
          if (record) views[breakerKey(result.rule, resource)] = breakerView(record, at, settings);
        } catch (error) {
          // Fail open: without the count this is one more revert in a possible fight, not a miss.
          warn(
            `[driftguard] circuit breaker for ${result.rule} on ${resource} unreadable: ${errorMessage(error)}`,
          );
        }
      }
      if (recorded.length === 0 && Object.keys(views).length === 0) return first;
      return assessWith({ ...base, exemptions: recorded, breakers: views });
    },

    async record({ assessment, outcome }, input) {
      const at = now();
      const atIso = new Date(at).toISOString();
      const { event } = assessment;
      for (const result of assessment.results) {
        const resource = resourceKeyOf(assessment, result);
        if (!resource || result.verdict.kind !== 'violation') continue;
        const { decision } = result;
        if (decision.exemption && exemptions) {
          let first: boolean;
          try {
            first = await exemptions.recordUse(decision.exemption, {
              eventId: event.eventId,
              eventTime: event.eventTime,
              rule: result.rule,
              resource: result.verdict.resource.arn ?? result.verdict.resource.id,
              usedAt: atIso,
              event: JSON.stringify(input),
            });
          } catch (error) {
            throw new ExemptionUseError(
              `the use of exemption ${decision.exemption.id} by event ${event.eventId} could not be recorded: ${errorMessage(error)}`,
              { cause: error },
            );
          }
          if (first && options.announce)
            await options.announce(
              exemptionUsedAnnouncement(
                decision.exemption,
                event,
                result.rule,
                result.verdict.resource.id,
                atIso,
              ),
            );
        }
        if (!breakers) continue;
        try {
          if (decision.breaker) {
            const { record, opened } = await breakers.update(result.rule, resource, (current) =>
              recordTrip(current, at, event.actor, settings),
            );
            if (opened && options.announce)
              await options.announce({
                kind: 'circuit-breaker-tripped',
                at: atIso,
                breaker: { ...decision.breaker, opening: true, openedAt: atIso, actors: record.actors },
                event,
              });
          } else if (decision.action === 'revert') {
            const remediation = result.verdict.remediation;
            const applied = outcome.results.some(
              (done) =>
                done.status === 'applied' &&
                remediation.some((planned) => sameOperation(planned, done.operation)),
            );
            if (applied)
              await breakers.update(result.rule, resource, (current) => ({
                record: recordRevert(current, at, event.actor, settings, event.eventId),
              }));
          }
        } catch (error) {
          // A lost count delays the breaker by one revert; it must not fail a verified revert.
          warn(
            `[driftguard] circuit breaker for ${result.rule} on ${resource} not updated: ${errorMessage(error)}`,
          );
        }
      }
    },
  };
}
