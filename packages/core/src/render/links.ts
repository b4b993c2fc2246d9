import type { EventSummary } from '../assess';

/** The event in the CloudTrail console of its region (the user must be signed in to that account). */
export function cloudTrailConsoleUrl(event: EventSummary): string {
  const region = encodeURIComponent(event.region);
  return `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events/${encodeURIComponent(event.eventId)}`;
}
