import type { Operation } from './operations';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function maxSeverity(severities: readonly Severity[]): Severity {
  return severities.reduce<Severity>(
    (max, next) => (SEVERITIES.indexOf(next) > SEVERITIES.indexOf(max) ? next : max),
    'low',
  );
}

export interface ResourceRef {
  /** CloudFormation-style type, e.g. AWS::EC2::SecurityGroup. */
  type: string;
  id: string;
  arn?: string;
}

export interface SnapshotCandidate {
  resourceId: string;
  /** e.g. "bucket-policy", "endpoint-policy", "sg-rule" */
  kind: string;
  document: string;
}

/** One offending part of a change: a rule, a statement, a principal. */
export interface Offense {
  /** Stable id of the offending part (rule id, statement index, principal). */
  id: string;
  severity: Severity;
  /** One line a human can act on: what is open, to whom, why it matters. */
  reason: string;
  /** False when no exact revert exists (e.g. an unknown prefix list): alert instead. */
  remediable: boolean;
}

export type Verdict =
  | {
      kind: 'violation';
      severity: Severity;
      resource: ResourceRef;
      summary: string;
      offenses: Offense[];
      /** The exact revert: only what the change added, nothing else. */
      remediation: Operation[];
      /**
       * Why offending parts are deliberately left in place (e.g. removing them would cut log
       * delivery): the decision quotes it when it alerts instead of reverting.
       */
      notReverted?: string;
      /** Compliant parts of the same change (e.g. sibling rules), kept as last-known-good. */
      snapshots?: SnapshotCandidate[];
    }
  | {
      kind: 'compliant';
      resource?: ResourceRef;
      summary: string;
      /** A compliant document worth keeping as last-known-good (restored by later reverts). */
      snapshot?: SnapshotCandidate;
      /** Several compliant documents (e.g. one per security-group rule the call added). */
      snapshots?: SnapshotCandidate[];
    }
  | { kind: 'not-applicable'; summary: string };
