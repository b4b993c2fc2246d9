import {
  type AccountPlacement,
  type Assessment,
  type BreakerView,
  breakerKey,
  breakerResourceKey,
  breakerSettings,
  breakerView,
  type Config,
  decisionStateQuery,
  type EnforcementContext,
  type Evaluation,
  type Exemption,
  exemptionUsedAnnouncement,
  type Outcome,
  type RuleResult,
  recordRevert,
  recordTrip,
} from '@driftguard/core';
import type { Announce } from './announce';
import { DriftguardError, ExemptionUseError, errorMessage } from './errors';
import { stderrLogger, warnWith } from './log';
import type { BreakerStore } from './store/breaker';
import type { ExemptionStore } from './store/exemptions';

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
 * The stateful side of the decision, around the pure `decideChange`: `load` reads what the
 * decision needs (placement, exemptions, breaker counts) in one concurrent round, and once the
 * outcome is known `record` writes what happened (reverts counted, breakers opened, exemption
 * uses kept for the expiry re-check) and announces it.
 */
export interface Enforcement {
  /** The state `decisionStateQuery` asks for, read concurrently, as the decision's context. */
  load(evaluation: Evaluation): Promise<EnforcementContext>;
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
  const warn = options.warn ?? warnWith(stderrLogger);
  const settings = breakerSettings(config);
  const hasOuOverrides = config.overrides.some((override) => override.organizationalUnits);
  const exemptions = config.exemptions.enabled ? options.exemptions : undefined;
  const breakers = config.circuitBreaker.enabled ? options.breakers : undefined;

  const placementOf = async (account: string) =>
    hasOuOverrides && options.placement ? await options.placement(account) : undefined;

  async function exemptionsOf(account: string, eventId: string, at: number): Promise<Exemption[]> {
    if (!exemptions) return [];
    try {
      return await exemptions.forAccount(account, at);
    } catch (error) {
      // Deciding without them could revert a change a person was allowed to make: fail the
      // event instead, so the queue retries it.
      throw new DriftguardError(
        `cannot read the exemptions of ${account} for event ${eventId}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  async function breakerOf(rule: string, resource: string, at: number): Promise<[string, BreakerView][]> {
    if (!breakers) return [];
    try {
      const record = await breakers.get(rule, resource);
      return record ? [[breakerKey(rule, resource), breakerView(record, at, settings)]] : [];
    } catch (error) {
      // Fail open: without the count this is one more revert in a possible fight, not a miss.
      warn(`[driftguard] circuit breaker for ${rule} on ${resource} unreadable: ${errorMessage(error)}`);
      return [];
    }
  }

  return {
    placement: placementOf,

    async load(evaluation) {
      const at = now();
      const query = decisionStateQuery(evaluation, config);
      const [placement, recorded, views] = await Promise.all([
        query.placement ? placementOf(query.account) : undefined,
        query.exemptions ? exemptionsOf(query.account, evaluation.change.eventId, at) : [],
        Promise.all(query.breakers.map(({ rule, resource }) => breakerOf(rule, resource, at))),
      ]);
      const breakerViews = Object.fromEntries(views.flat());
      return {
        now: at,
        ...(placement ? { placement } : {}),
        ...(recorded.length > 0 ? { exemptions: recorded } : {}),
        ...(Object.keys(breakerViews).length > 0 ? { breakers: breakerViews } : {}),
      };
    },

    async record({ assessment, outcome }) {
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
            // A reference, never the event's text: the expiry re-check re-reads live state.
            const { id: resourceId, arn: resourceArn } = result.verdict.resource;
            first = await exemptions.recordUse(decision.exemption, {
              eventId: event.eventId,
              eventTime: event.eventTime,
              kind: assessment.finding ? 'finding' : 'change',
              account: event.account,
              region: event.region,
              rule: result.rule,
              resource: resourceId,
              ...(resourceArn ? { resourceArn } : {}),
              usedAt: atIso,
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
        // Only automation (infrastructure-as-code roles) counts and trips the breaker; a sweep
        // observation it held neither counts nor extends it.
        if (!breakers || !decision.iac || assessment.origin === 'sweep') continue;
        try {
          if (decision.breaker) {
            const { record, opened } = await breakers.update(result.rule, resource, (current) =>
              recordTrip(current, at, event.actor, settings),
            );
            // A trip pages: the announcement is critical (see renderAnnouncement).
            if (opened && options.announce)
              await options.announce({
                kind: 'circuit-breaker-tripped',
                at: atIso,
                breaker: {
                  ...decision.breaker,
                  opening: true,
                  openedAt: atIso,
                  closesBy: new Date(at + settings.maxOpenMs).toISOString(),
                  actors: record.actors,
                },
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
