import * as z from 'zod/mini';
import { globRegExp } from './glob';
import { SEVERITIES } from './verdict';

/**
 * GuardDuty response playbooks. Each is off until findings types are named for it in
 * `rules.guardduty-finding.playbooks`, and runs only from `playbookMinimumSeverity` up.
 */
export const PLAYBOOKS = [
  /** Swap the instance's security groups for the VPC's quarantine group (no rules), tag it. */
  'isolate-instance',
  /** Set the IAM user's access key from the finding to Inactive (never deleted). */
  'deactivate-access-key',
  /** Deny every session of the role issued before now (`aws:TokenIssueTime`). */
  'revoke-role-sessions',
  /** Turn the bucket's public access block fully on. */
  'block-s3-public-access',
] as const;
export type Playbook = (typeof PLAYBOOKS)[number];

/**
 * The playbooks a config lets run: those with at least one finding type. The member role holds a
 * playbook's permissions only then (infra/member-template.ts).
 */
export function enabledPlaybooks(config: { playbooks: Record<Playbook, readonly string[]> }): Playbook[] {
  return PLAYBOOKS.filter((playbook) => config.playbooks[playbook].length > 0);
}

/** A finding type, or a glob over types: `*` any run of characters, `?` one (e.g. `Backdoor:EC2/*`). */
const findingTypePattern = z
  .string()
  .check(
    z.regex(/^\S{1,200}$/, 'must be a finding type or a glob such as "UnauthorizedAccess:EC2/*" (no spaces)'),
  );

const patterns = z._default(z.array(findingTypePattern), []);

export const guarddutyFindingSchema = z.strictObject({
  /**
   * alert (default): notify by severity band (high and critical also open or update a ticket) and
   * run the playbooks opted into below · ticket: every band also tickets · shadow: notify, and show
   * the playbooks that would run without running them · off: ignore findings.
   */
  mode: z._default(z.enum(['alert', 'ticket', 'shadow', 'off']), 'alert'),
  /** No playbook runs below this: a band (its lowest score) or a score from 1.0 to 10.0. */
  playbookMinimumSeverity: z._default(
    z.union([z.enum(SEVERITIES), z.number().check(z.minimum(1), z.maximum(10))]),
    'critical',
  ),
  /** Per playbook, the finding types (globs) it may act on; empty = never (the default). */
  playbooks: z.prefault(
    z.strictObject({
      'isolate-instance': patterns,
      'deactivate-access-key': patterns,
      'revoke-role-sessions': patterns,
      'block-s3-public-access': patterns,
    }),
    {},
  ),
});

export type GuardDutyFindingConfig = z.output<typeof guarddutyFindingSchema>;

/** Does a finding type match a configured pattern? Case-sensitive, like GuardDuty's types. */
export function findingTypeMatches(pattern: string, type: string): boolean {
  return globRegExp(pattern).test(type);
}
