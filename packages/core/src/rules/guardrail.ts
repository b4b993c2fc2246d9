import type { Config, Mode } from '../config';
import type { Change } from '../events/change';
import type { TrustZone } from '../trust-zone';
import type { Severity, Verdict } from '../verdict';

/** A CloudTrail call that can break a guardrail. */
export interface Trigger {
  /** e.g. ec2.amazonaws.com */
  eventSource: string;
  eventNames: readonly string[];
}

export interface EvaluationContext {
  config: Config;
  trustZone: TrustZone;
}

/**
 * One zero-trust guardrail. `evaluate` is pure: the same change and config always give the same
 * verdict, so replay, the Lambda and the sweep agree.
 */
export interface Guardrail {
  id: string;
  title: string;
  /** Severity when the guardrail itself does not grade the offense. */
  severity: Severity;
  defaultMode: Mode;
  /** Why this matters for zero trust; rendered into RULES.md and alerts. */
  rationale: string;
  /** What counts as a violation and what the revert does, for RULES.md. */
  docs: { violation: string; revert: string };
  triggers: readonly Trigger[];
  evaluate(change: Change, context: EvaluationContext): Verdict;
}
