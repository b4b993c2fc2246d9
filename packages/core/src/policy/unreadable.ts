import type { ResourceRef, Verdict } from '../verdict';

/**
 * A successful call set a policy driftguard cannot parse: nothing can be judged statement by
 * statement, so it is alerted on (high) and never reverted blindly.
 */
export function unreadablePolicyVerdict(resource: ResourceRef, subject: string, reason: string): Verdict {
  return {
    kind: 'violation',
    severity: 'high',
    resource,
    summary: `${subject} could not be read: ${reason}`,
    offenses: [{ id: 'policy', severity: 'high', reason: `unreadable policy: ${reason}`, remediable: false }],
    remediation: [],
  };
}
