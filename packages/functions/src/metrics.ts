import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ApiOperation, ApiRefusal, ApiTrace, ProcessedEvent } from '@driftguard/aws';
import {
  type DeadLetterReason,
  EXEMPTION_API_SUSPICIOUS,
  type ExemptionApiSuspicion,
  METRICS,
  METRICS_NAMESPACE,
} from './metric-names';

export { METRICS, SERVICES } from './metric-names';

// metric-names.ts stays free of imports (infra reads it); here the list is checked against the
// API's refusal classes, so a renamed class fails to compile instead of leaving the alarm blind.
const SUSPICIONS: readonly (ApiRefusal | 'claimed-identity')[] = EXEMPTION_API_SUSPICIOUS;
const isSuspicion = (value: ApiRefusal | undefined): value is ApiRefusal & ExemptionApiSuspicion =>
  value !== undefined && SUSPICIONS.includes(value);

/** The rule whose violations mean someone touched driftguard's own footprint. */
const TAMPER_RULE = 'driftguard-integrity';

/**
 * Metrics in CloudWatch's embedded metric format: one JSON line on stdout per metric, turned into
 * metrics by CloudWatch Logs (no PutMetricData call, no permission, no latency on the event).
 */
export class FunctionMetrics {
  readonly #metrics: Metrics;

  constructor(serviceName: string) {
    this.#metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  }

  /** One metric line: `service` plus these dimensions (one dimension set). */
  count(name: string, value = 1, dimensions: Record<string, string> = {}): void {
    this.#emit(name, MetricUnit.Count, value, dimensions);
  }

  milliseconds(name: string, value: number, dimensions: Record<string, string> = {}): void {
    this.#emit(name, MetricUnit.Milliseconds, value, dimensions);
  }

  #emit(
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
    dimensions: Record<string, string>,
  ): void {
    const single = this.#metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    single.addMetric(name, unit, value);
  }

  /**
   * What one processed event did. `receivedAt`: when the event reached the queue (SQS
   * SentTimestamp), so the time from receipt includes the wait in the queue.
   */
  decision(result: ProcessedEvent, receivedAt: number | undefined, now: number): void {
    if (result.duplicate) {
      this.count(METRICS.duplicate);
      return;
    }
    const { assessment, outcome } = result;
    const rule = assessment.rule ?? 'none';
    this.count(METRICS.decision, 1, {
      rule,
      action: assessment.action,
      outcome: outcome.status,
      severity: assessment.severity ?? 'none',
    });
    if (outcome.status === 'reverted' && outcome.verified) {
      this.count(METRICS.revertVerified, 1, { rule });
      this.count(METRICS.revertVerified);
    }
    if (outcome.status === 'revert-failed') {
      this.count(METRICS.revertFailed, 1, { rule });
      this.count(METRICS.revertFailed);
    }
    if (outcome.verified) {
      const times: [string, number | undefined][] = [
        [METRICS.timeFromEvent, result.latencyMs],
        [METRICS.timeFromReceipt, receivedAt === undefined ? undefined : now - receivedAt],
      ];
      for (const [name, value] of times) {
        if (value === undefined || !Number.isFinite(value) || value < 0) continue;
        this.milliseconds(name, value, { outcome: outcome.status });
        this.milliseconds(name, value);
      }
    }
    if (assessment.breaker?.opening) this.count(METRICS.breakerTrip, 1, { rule });
    if (assessment.status === 'violation' && rule === TAMPER_RULE) this.count(METRICS.tamper);
  }

  deadLetter(reason: DeadLetterReason): void {
    this.count(METRICS.deadLetter, 1, { reason });
  }

  /** One exemption API call: its outcome, its refusal class, and what looks like an attack. */
  exemptionCall(trace: ApiTrace | undefined, operation: ApiOperation): void {
    const outcome = !trace ? 'failed' : trace.refusal ? 'refused' : 'accepted';
    this.count(METRICS.exemptionApiCall, 1, { operation, outcome });
    // On its own, without dimensions, for the alarm: someone asking for break-glass in an incident
    // got an error, and an operator has to hear of it before they do.
    if (!trace) this.count(METRICS.exemptionApiFailures);
    if (trace?.refusal) this.count(METRICS.exemptionApiRefusal, 1, { operation, reason: trace.refusal });
    const suspected = [
      ...(isSuspicion(trace?.refusal) ? [trace.refusal] : []),
      ...(trace?.claimedIdentities?.length ? (['claimed-identity'] as const) : []),
    ];
    for (const reason of suspected) this.count(METRICS.exemptionApiSuspicious, 1, { reason });
    if (suspected.length > 0) this.count(METRICS.exemptionApiSuspicious, suspected.length);
  }
}
