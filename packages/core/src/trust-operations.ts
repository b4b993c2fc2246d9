import type { PolicyStatementRef, Target, ZoneSnapshot } from './operations';

/**
 * iam-role-trust: UpdateAssumeRolePolicy with the trust policy without exactly the offending
 * statements (Sids and order kept). With `restore: last-known-good` (the default) the executor puts
 * back the last trust policy seen compliant instead, when one is known and still compliant. It
 * re-reads the live policy first and acts only while a referenced statement still offends; it never
 * writes a policy with no statement (a role nobody can assume): the planner alerts instead.
 */
export interface UpdateAssumeRolePolicy {
  service: 'iam';
  operation: 'UpdateAssumeRolePolicy';
  target: Target;
  input: { RoleName: string; PolicyDocument: string };
  remove: PolicyStatementRef[];
  restore: 'remove-statements' | 'last-known-good';
  zone: ZoneSnapshot;
}
