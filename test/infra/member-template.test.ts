/**
 * The member-account template as generated: its rules forward exactly the catalog's patterns,
 * its role trusts only the central role within the organization and with the external id, and
 * cfn-lint (the AWS CloudFormation linter) finds nothing to say about it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CATALOG,
  eventPatterns,
  PLAYBOOKS,
  REMEDIATION_SESSION_NAME,
  remediationTrustPolicy,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import {
  memberActions,
  memberInstanceRegions,
  memberParameters,
  memberTemplate,
} from '../../infra/member-template';

const template = memberTemplate({ remediationRoleName: 'DriftGuardRemediation' });
/** driftguard's identity in the account each stack runs in, as CloudFormation resolves it. */
const ownIdentity = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
  roleArn: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/DriftGuardRemediation' },
  sessionArn: {
    'Fn::Sub': `arn:\${AWS::Partition}:sts::\${AWS::AccountId}:assumed-role/DriftGuardRemediation/${REMEDIATION_SESSION_NAME}`,
  },
};
const resources = Object.entries(template.Resources);
const rules = resources.filter(([, resource]) => resource.Type === 'AWS::Events::Rule');
const isGuardDuty = (pattern: Record<string, unknown>) =>
  (pattern.source as string[]).includes('aws.guardduty');

/**
 * One cfn-lint process for both templates (no playbook, every playbook), started when the file
 * loads so that it runs while the other tests do, and without blocking the worker.
 */
const cfnLint = new Promise<{ output: string; status: number | null; error?: Error }>((resolve) => {
  const dir = mkdtempSync(join(tmpdir(), 'driftguard-cfn-'));
  const files = [
    template,
    memberTemplate({ remediationRoleName: 'DriftGuardRemediation', playbooks: [...PLAYBOOKS] }),
  ].map((candidate, index) => {
    const file = join(dir, `member-${index}.json`);
    writeFileSync(file, JSON.stringify(candidate, null, 2));
    return file;
  });
  const child = execFile('cfn-lint', ['--format', 'parseable', ...files], (error, stdout, stderr) => {
    // A finding makes cfn-lint exit non-zero: that is a result, not a failure to run.
    const ran = !error || typeof error.code === 'number';
    resolve({
      output: stdout + stderr,
      status: child.exitCode,
      ...(ran ? {} : { error: error as Error }),
    });
  });
});

describe('member template', () => {
  it('forwards exactly the catalog’s patterns from the default bus', () => {
    const patterns = rules.map(([, rule]) => rule.Properties.EventPattern);
    expect(patterns).toEqual(eventPatterns(CATALOG, ownIdentity).map((pattern) => pattern.pattern));
    for (const [, rule] of rules) {
      expect(rule.Properties).toMatchObject({
        EventBusName: 'default',
        State: 'ENABLED',
        Targets: [
          {
            Arn: { Ref: 'CentralEventBusArn' },
            RoleArn: { 'Fn::GetAtt': ['ForwardingRole', 'Arn'] },
          },
        ],
      });
    }
  });

  it('names driftguard only by this account’s exact role and session ARN, never by a bare name', () => {
    for (const [, rule] of rules) {
      const pattern = rule.Properties.EventPattern as { detail?: { $or?: unknown[] } };
      if (isGuardDuty(pattern as Record<string, unknown>)) continue;
      expect(pattern.detail?.$or).toEqual([
        { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
        {
          userIdentity: {
            sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [ownIdentity.roleArn] }] } },
          },
        },
        { userIdentity: { arn: [{ 'anything-but': [ownIdentity.sessionArn] }] } },
      ]);
      const text = JSON.stringify(pattern)
        .replace(JSON.stringify(ownIdentity.roleArn), '')
        .replace(JSON.stringify(ownIdentity.sessionArn), '');
      expect(text).not.toMatch(/DriftGuardRemediation|driftguard-[a-z0-9-]*-central|userName/);
    }
  });

  it('forwards GuardDuty findings only when asked to, global-service events only where AWS delivers them, other CloudTrail events always', () => {
    for (const [, rule] of rules) {
      const pattern = rule.Properties.EventPattern as Record<string, unknown>;
      const source = (pattern.detail as { eventSource?: string[] } | undefined)?.eventSource ?? [];
      const global = source.includes('iam.amazonaws.com');
      expect(rule.Condition).toBe(
        isGuardDuty(pattern) ? 'ForwardGuardDuty' : global ? 'InGlobalEventsRegion' : undefined,
      );
    }
    // IAM events reach EventBridge only in us-east-1 (and the first region of the other partitions).
    expect(template.Conditions.InGlobalEventsRegion).toEqual({
      'Fn::Or': [
        { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
        { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'cn-north-1'] },
        { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-gov-west-1'] },
      ],
    });
    expect(template.Parameters.ForwardGuardDutyFindings).toMatchObject({
      AllowedValues: ['true', 'false'],
      Default: 'false',
    });
  });

  it('gives forwarding its own role, allowed to put events on the central bus only', () => {
    const role = template.Resources.ForwardingRole;
    expect(role?.Properties.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    expect(role?.Properties.Policies).toEqual([
      {
        PolicyName: 'put-events-on-central-bus',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 'events:PutEvents', Resource: { Ref: 'CentralEventBusArn' } },
          ],
        },
      },
    ]);
  });

  it('creates the remediation role once per account, trusted only by the central role in the organization with the external id', () => {
    const role = template.Resources.RemediationRole;
    expect(role?.Condition).toBe('CreateRemediationRole');
    expect(template.Conditions.CreateRemediationRole).toEqual({
      'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'RoleRegion' }],
    });
    expect(role?.Properties.RoleName).toBe('DriftGuardRemediation');
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: { Ref: 'CentralFunctionRoleArn' } },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: {
              'aws:PrincipalOrgID': { Ref: 'OrganizationId' },
              'sts:ExternalId': { Ref: 'ExternalId' },
            },
          },
        },
      ],
    });
    const policies = (role?.Properties.Policies ?? []) as {
      PolicyDocument: { Statement: { Action: string[] }[] };
    }[];
    const allow = policies[0]?.PolicyDocument.Statement[0];
    expect(allow?.Action).toEqual(memberActions([]));
  });

  it('takes only the parameters it declares', () => {
    const values = {
      centralEventBusArn: 'arn:aws:events:us-east-1:111111111111:event-bus/driftguard-prod',
      centralFunctionRoleArn: 'arn:aws:iam::111111111111:role/driftguard-prod-central',
      organizationId: 'o-exampleorg1',
      externalId: 'x-123',
      roleRegion: 'us-east-1',
      forwardGuardDutyFindings: true,
    };
    expect(Object.keys(memberParameters(template, values)).sort()).toEqual(
      Object.keys(template.Parameters).sort(),
    );
    const withoutGuardDuty = memberTemplate({ remediationRoleName: 'R', catalog: [] });
    expect(memberParameters(withoutGuardDuty, values)).not.toHaveProperty('ForwardGuardDutyFindings');
  });

  // cfn-lint is a Python program (~3 s of CPU, its rule set loaded once for both templates); on a
  // machine busy with the rest of the suite it has taken over 30 s of wall time.
  it('passes cfn-lint without errors or warnings, with no playbook and with every playbook', async () => {
    const lint = await cfnLint;
    if (lint.error)
      throw new Error(
        `cfn-lint could not run (${lint.error.message}); it is installed on every machine of this kind`,
      );
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  }, 180_000);
});

describe('member footprint as the integrity guardrail expects it', () => {
  it('writes the remediation role trust policy the guardrail restores (core footprint.ts)', () => {
    expect(template.Resources.RemediationRole?.Properties.AssumeRolePolicyDocument).toEqual(
      remediationTrustPolicy({
        centralRoleArn: { Ref: 'CentralFunctionRoleArn' },
        organizationId: { Ref: 'OrganizationId' },
        externalId: { Ref: 'ExternalId' },
      }),
    );
  });

  it('names every forwarding rule and the per-region forwarding role with the footprint prefix', () => {
    for (const [, rule] of rules) expect(String(rule.Properties.Name)).toMatch(/^driftguard-forward-/);
    expect(template.Resources.ForwardingRole?.Properties.RoleName).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
      'Fn::Sub': 'driftguard-forward-${AWS::Region}',
    });
  });
});

describe('member stack instance regions', () => {
  it('always include us-east-1, where IAM events reach EventBridge, whatever memberRegions says', () => {
    expect(
      memberInstanceRegions({ region: 'eu-west-1', memberRegions: ['eu-west-1', 'eu-central-1'] }),
    ).toEqual(['eu-west-1', 'eu-central-1', 'us-east-1']);
    expect(
      memberInstanceRegions({
        region: 'us-east-1',
        roleRegion: 'eu-west-1',
        memberRegions: ['us-east-1', 'eu-west-1'],
      }),
    ).toEqual(['eu-west-1', 'us-east-1']);
  });
});
