/**
 * The CloudWatch metrics the functions emit (embedded metric format: log lines CloudWatch turns
 * into metrics, no API call). Shared with infra/dashboard.ts and infra/alarms.ts, so a renamed
 * metric cannot leave an alarm watching nothing. Dimensions stay low-cardinality: rule ids,
 * actions, outcomes, severities and reason classes are closed sets; never an account or resource.
 */
export const METRICS_NAMESPACE = 'driftguard';

/** The `service` dimension Powertools adds to every metric: one per function. */
export const SERVICES = {
  evaluate: 'driftguard-evaluate',
  sweepPlanner: 'driftguard-sweep-planner',
  sweepWorker: 'driftguard-sweep-worker',
  exemptionExpiry: 'driftguard-exemption-expiry',
  exemptionApi: 'driftguard-exemption-api',
} as const;

export const METRICS = {
  /** One per decided event; dimensions rule, action, outcome, severity. */
  decision: 'Decisions',
  /** Reverts verified by a re-read; by rule, and in total. */
  revertVerified: 'RevertsVerified',
  /** Reverts that could not be verified (the event is retried, then dead-lettered). */
  revertFailed: 'RevertsFailed',
  /** Milliseconds from the event's eventTime to its verified outcome; by outcome, and in total. */
  timeFromEvent: 'TimeFromEventToVerifiedOutcome',
  /** Milliseconds from the event's arrival on the queue to its verified outcome; by outcome, and in total. */
  timeFromReceipt: 'TimeFromReceiptToVerifiedOutcome',
  /** Deliveries answered from the dedupe record: nothing acted on or told twice. */
  duplicate: 'DuplicatesSuppressed',
  /** Inputs sent to the DLQ; dimension reason (a class, see DEAD_LETTER_REASONS). */
  deadLetter: 'DeadLetters',
  /** Reverts a circuit breaker held back (ticket instead); by rule. */
  breakerTrip: 'CircuitBreakerTrips',
  /** driftguard-integrity violations: someone touched driftguard's own footprint. */
  tamper: 'TamperFindings',
  /** Sweep: units planned per run, units swept, their violations, units failed, units a superseded run never reached. */
  sweepUnitsPlanned: 'SweepUnitsPlanned',
  sweepUnitsSwept: 'SweepUnitsSwept',
  sweepViolations: 'SweepViolations',
  sweepUnitFailures: 'SweepUnitFailures',
  sweepUnitsUnreached: 'SweepUnitsUnreached',
  /** Exemption API: one per call; dimensions operation, outcome (accepted, refused, failed). */
  exemptionApiCall: 'ExemptionApiCalls',
  /** Exemption API: refused calls; dimensions operation, reason (a class, the API's `ApiRefusal`). */
  exemptionApiRefusal: 'ExemptionApiRefusals',
  /** Exemption API: calls that look like an attack (EXEMPTION_API_SUSPICIOUS); by reason, and in total. */
  exemptionApiSuspicious: 'ExemptionApiSuspiciousCalls',
  /** Exemption API: calls answered 500 (an unexpected failure: the store, the config); no dimension. */
  exemptionApiFailures: 'ExemptionApiFailures',
} as const;

/**
 * Exemption API outcomes that look like someone trying to get round the two-person rule, not a
 * mistake: approving one's own request (another session of one role included), approving without
 * being a listed approver, a caller ARN outside its authenticated account (a forged context),
 * approving a request that lapsed, and a body naming a requester or approver other than the caller
 * (ignored, but someone tried).
 */
export const EXEMPTION_API_SUSPICIOUS = [
  'self-approval',
  'not-approver',
  'identity-mismatch',
  'lapsed',
  'claimed-identity',
] as const;
export type ExemptionApiSuspicion = (typeof EXEMPTION_API_SUSPICIOUS)[number];

/** Why an input went to the DLQ, as a closed set (the full reason is in the message and the log). */
export const DEAD_LETTER_REASONS = [
  'too-large',
  'not-json',
  'invalid-event',
  'unprocessable',
  'gave-up',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];
