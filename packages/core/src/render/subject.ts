import type { Assessment } from '../assess';
import type { ResourceRef } from '../verdict';

/**
 * What an alert names as the Resource: for a GuardDuty finding, the affected resource ("instance
 * i-0abc", "access key AKIA… of IAMUser alice") — the finding id is only the verdict's key; for a
 * change, the changed resource's id. Untrusted text: each channel escapes it.
 */
export function shownResource(assessment: Assessment, resource: ResourceRef | undefined): string | undefined {
  return assessment.finding?.resource ?? resource?.id;
}

/**
 * What an alert names as the Actor: for a finding, the remote actor GuardDuty saw or "unknown" (the
 * audit record keeps the principal in `event.actor`); for a change, the CloudTrail principal.
 */
export function shownActor(assessment: Assessment): string {
  if (assessment.finding) return assessment.finding.actor ?? 'unknown';
  return assessment.event.actor;
}
