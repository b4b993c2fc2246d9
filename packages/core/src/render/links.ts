import type { Assessment, EventSummary } from '../assess';

/** The event in the CloudTrail console of its region (the user must be signed in to that account). */
export function cloudTrailConsoleUrl(event: EventSummary): string {
  const region = encodeURIComponent(event.region);
  return `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events/${encodeURIComponent(event.eventId)}`;
}

/** The finding in the GuardDuty console of its region (the delegated administrator's console shows members' findings). */
export function guardDutyConsoleUrl(event: EventSummary): string {
  const region = encodeURIComponent(event.region);
  return `https://${region}.console.aws.amazon.com/guardduty/home?region=${region}#/findings?macros=current&fId=${encodeURIComponent(event.eventId)}`;
}

/** Where a human reads the source of a decision: the CloudTrail event, or the GuardDuty finding. */
export function sourceLink(assessment: Assessment): {
  url: string;
  service: 'CloudTrail' | 'GuardDuty';
  noun: string;
} {
  return assessment.finding
    ? { url: guardDutyConsoleUrl(assessment.event), service: 'GuardDuty', noun: 'finding' }
    : { url: cloudTrailConsoleUrl(assessment.event), service: 'CloudTrail', noun: 'event' };
}
