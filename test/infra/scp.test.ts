import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forwardingRoleName, MEMBER_ROLE_PATH } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { names } from '../../infra/naming';
import { memberFootprintScp, SCP_MAX_CHARACTERS, scpText } from '../../infra/scp';

/** IAM's ARN matching: `*` any run of characters, `?` one. */
const matches = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(arn);

const scp = memberFootprintScp('prod');
const statement = (sid: string) => {
  const found = scp.Statement.find((candidate) => candidate.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
};
const resources = (sid: string) => [statement(sid).Resource].flat();
const exempted = (sid: string) => statement(sid).Condition.ArnNotLike['aws:PrincipalArn'];
const n = names('prod');

describe('the SCP that protects driftguard’s member footprint (infra/scp.ts)', () => {
  it('fits Organizations’ 5,120-character limit with room to spare, as minified JSON', () => {
    expect(scpText('prod').length).toBeLessThan(SCP_MAX_CHARACTERS * 0.6);
    expect(scpText('a-rather-long-stage-name').length).toBeLessThan(SCP_MAX_CHARACTERS);
  });

  it('only denies: an SCP never grants, and every statement has its exception as a condition', () => {
    expect(scp.Version).toBe('2012-10-17');
    for (const each of scp.Statement) {
      expect(each.Effect).toBe('Deny');
      expect(Object.keys(each.Condition)).toEqual(['ArnNotLike']);
    }
  });

  it('covers exactly the resources the member template creates for this stage, and not another stage’s', () => {
    const rule = `arn:aws:events:eu-west-1:210000000001:rule/${n.memberRule('cloudtrail-ec2')}`;
    expect(resources('DriftguardForwardingRules').some((pattern) => matches(pattern, rule))).toBe(true);
    const staging = `arn:aws:events:eu-west-1:210000000001:rule/${names('staging').memberRule('cloudtrail-ec2')}`;
    expect(resources('DriftguardForwardingRules').some((pattern) => matches(pattern, staging))).toBe(false);
    const roles = resources('DriftguardRoles');
    for (const role of [
      `arn:aws:iam::210000000001:role/${n.remediationRole}`,
      `arn:aws:iam::210000000001:role${MEMBER_ROLE_PATH}${forwardingRoleName(n.memberForwardingPrefix, 'eu-west-1')}`,
    ])
      expect(roles.some((pattern) => matches(pattern, role))).toBe(true);
    expect(roles.some((pattern) => matches(pattern, 'arn:aws:iam::210000000001:role/AppRole'))).toBe(false);
    const stack = `arn:aws:cloudformation:eu-west-1:210000000001:stack/StackSet-${n.stackSet}-4f1e2d3c-0000-4000-8000-000000000000/abc`;
    expect(resources('DriftguardStackInstances').some((pattern) => matches(pattern, stack))).toBe(true);
  });

  it('lets through only the StackSet execution and the remediation role, and an admin cannot make a role look like them', () => {
    const admin = 'arn:aws:iam::210000000001:role/Admin';
    const execution = 'arn:aws:iam::210000000001:role/stacksets-exec-0123456789abcdef0123456789abcdef';
    for (const sid of ['DriftguardForwardingRules', 'DriftguardRoles', 'DriftguardStackInstances']) {
      expect(exempted(sid).some((pattern) => matches(pattern, admin))).toBe(false);
      expect(exempted(sid).some((pattern) => matches(pattern, execution))).toBe(true);
    }
    // The execution role's name is denied to everyone but the StackSets service-linked role.
    expect(resources('StackSetExecutionRoleNames').some((pattern) => matches(pattern, execution))).toBe(true);
    expect(statement('StackSetExecutionRoleNames').Action).toEqual(
      expect.arrayContaining(['iam:CreateRole', 'iam:UpdateAssumeRolePolicy']),
    );
    expect(exempted('StackSetExecutionRoleNames')).toEqual([
      expect.stringMatching(/aws-service-role\/member\.org\.stacksets\.cloudformation\.amazonaws\.com\//),
    ]);
    expect(statement('DriftguardRoles').Action).toContain('iam:CreateRole');
  });

  it('DEPLOY.md shows the current policy for stage prod', () => {
    const deploy = readFileSync(fileURLToPath(new URL('../../DEPLOY.md', import.meta.url)), 'utf8');
    const shown = deploy.match(
      /<!-- scp:prod:start -->\n```json\n([\s\S]*?)\n```\n<!-- scp:prod:end -->/,
    )?.[1];
    expect(shown && JSON.parse(shown)).toEqual(scp);
  });
});
