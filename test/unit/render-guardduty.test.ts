import { readFileSync } from 'node:fs';
import {
  assessFinding,
  defaultConfig,
  normalizeGuardDuty,
  outcomeWithoutExecution,
  type Report,
  renderGitHubIssue,
  renderJiraDescription,
  renderSlack,
  renderSns,
  renderTicketPayload,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';

const fixture = (name: string) =>
  (
    JSON.parse(readFileSync(new URL(`../fixtures/findings/${name}.json`, import.meta.url), 'utf8')) as {
      input: Record<string, unknown>;
    }
  ).input;

function reportOf(input: unknown): Report {
  const normalized = normalizeGuardDuty(input);
  if (!normalized.ok) throw new Error(normalized.reason);
  const assessment = assessFinding(normalized.finding, defaultConfig());
  return { assessment, outcome: outcomeWithoutExecution(assessment) };
}

/** The text of a Slack field, e.g. Resource → "`instance i-0abc`". */
function slackField(report: Report, label: string): string | undefined {
  for (const block of renderSlack(report).blocks)
    if (block.type === 'section')
      for (const field of block.fields ?? []) {
        const [head, ...rest] = field.text.split('\n');
        if (head === `*${label}*`) return rest.join('\n');
      }
  return undefined;
}

const githubFact = (report: Report, label: string) =>
  renderGitHubIssue(report)
    .body.split('\n')
    .find((line) => line.startsWith(`- **${label}:** `))
    ?.slice(`- **${label}:** `.length);

/** The parts of a finding's detail these tests edit (fixtures 06 and 12 have them). */
interface EditableDetail {
  service: { action: { awsApiCallAction: Record<string, unknown> } };
  resource: { eksClusterDetails: { name: string } };
}

/** A copy of a fixture's finding with `edit` applied to its detail. */
function edited(name: string, edit: (detail: EditableDetail) => void): unknown {
  const input = structuredClone(fixture(name));
  edit(input.detail as EditableDetail);
  return input;
}

const CASES: { name: string; fixture: string; resource: string; actor: string; title: string }[] = [
  {
    name: 'EC2 instance (DNS finding: no remote actor)',
    fixture: '01-ec2-backdoor-cc-dns-eventbridge',
    resource: 'instance i-0a1b2c3d4e5f60718',
    actor: 'unknown',
    title:
      '[driftguard] CRITICAL Backdoor:EC2/C&CActivity.B!DNS on instance i-0a1b2c3d4e5f60718 in 111122223333/eu-west-1',
  },
  {
    name: 'IAM access key',
    fixture: '06-iam-user-access-key-malicious-ip-medium',
    resource: 'access key AKIAIOSFODNN7EXAMPLE of IAMUser ci-deployer',
    actor: '198.51.100.77 (ExampleHosting, Netherlands)',
    title:
      '[driftguard] MEDIUM UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom on access key AKIAIOSFODNN7EXAMPLE of IAMUser ci-deployer in 111122223333/eu-west-1',
  },
  {
    name: 'S3 bucket',
    fixture: '10-s3-bucket-anonymous-access-granted',
    resource: 'bucket storefront-assets (used access key AKIAIOSFODNN7EXAMPLE of IAMUser ci-deployer)',
    actor: '198.51.100.77 (ExampleHosting, Netherlands)',
    title:
      '[driftguard] HIGH Policy:S3/BucketAnonymousAccessGranted on bucket storefront-assets (used access key AKIAIOSFODNN7EXAMPLE of IAMUser ci-deployer) in 111122223333/eu-west-1',
  },
  {
    name: 'EKS cluster',
    fixture: '12-eks-anonymous-access-granted',
    resource: 'EKS cluster prod-cluster (Kubernetes user system:anonymous)',
    actor: '198.51.100.77 (ExampleHosting, Netherlands)',
    title:
      '[driftguard] HIGH Policy:Kubernetes/AnonymousAccessGranted on EKS cluster prod-cluster (Kubernetes user system:anonymous) in 111122223333/eu-west-1',
  },
];

describe('GuardDuty alerts name the affected resource and the remote actor', () => {
  for (const c of CASES)
    it(`${c.name}: Resource, Actor and ticket title in Slack, GitHub, Jira, webhook and SNS`, () => {
      const report = reportOf(fixture(c.fixture));
      expect(slackField(report, 'Resource')).toBe(`\`${c.resource}\``);
      expect(slackField(report, 'Actor')).toBe(`\`${c.actor}\``);
      expect(githubFact(report, 'Resource')).toBe(`\`${c.resource}\``);
      expect(githubFact(report, 'Actor')).toBe(`\`${c.actor}\``);
      expect(renderGitHubIssue(report).title).toBe(c.title);
      expect(renderTicketPayload(report, 'ticket.opened').title).toBe(c.title);
      const jiraFacts = renderJiraDescription(report).content.find((block) => block.type === 'bulletList');
      expect(JSON.stringify(jiraFacts)).toContain(
        JSON.stringify({ type: 'text', text: c.resource, marks: [{ type: 'code' }] }),
      );
      expect(JSON.stringify(jiraFacts)).toContain(
        JSON.stringify({ type: 'text', text: c.actor, marks: [{ type: 'code' }] }),
      );
      const sns = JSON.parse(renderSns(report).message) as { finding: { resource: string; actor: string } };
      expect(sns.finding).toMatchObject({ resource: c.resource, actor: c.actor });
    });
});

describe('GuardDuty Actor when no remote address is known', () => {
  it('a call from another AWS account names that account', () => {
    const report = reportOf(
      edited('06-iam-user-access-key-malicious-ip-medium', (detail) => {
        const call = detail.service.action.awsApiCallAction;
        delete call.remoteIpDetails;
        call.remoteAccountDetails = { accountId: '444455556666', affiliated: false };
      }),
    );
    expect(slackField(report, 'Actor')).toBe('`AWS account 444455556666`');
    expect(githubFact(report, 'Actor')).toBe('`AWS account 444455556666`');
  });

  it('says "unknown", never the finding id or an empty value, when GuardDuty names no actor', () => {
    const report = reportOf(fixture('01-ec2-backdoor-cc-dns-eventbridge'));
    const id = report.assessment.event.eventId;
    for (const text of [slackField(report, 'Actor'), githubFact(report, 'Actor')]) {
      expect(text).toBe('`unknown`');
      expect(text).not.toContain(id);
    }
  });
});

describe('the affected resource is untrusted text', () => {
  it('a hostile EKS cluster name stays inert in Slack, GitHub and the ticket title', () => {
    const report = reportOf(
      edited('12-eks-anonymous-access-granted', (detail) => {
        detail.resource.eksClusterDetails.name = 'x` <!channel> *bold* @admin\nline';
      }),
    );
    expect(slackField(report, 'Resource')).toBe(
      '`EKS cluster xˋ &lt;!channel&gt; *bold* @admin line (Kubernetes user system:anonymous)`',
    );
    expect(githubFact(report, 'Resource')).toBe(
      '`EKS cluster xˋ <!channel> *bold* @admin line (Kubernetes user system:anonymous)`',
    );
    expect(renderGitHubIssue(report).title).not.toContain('\n');
  });
});

describe('the SNS subject names the finding type', () => {
  const withType = (type: string) =>
    reportOf(
      edited('01-ec2-backdoor-cc-dns-eventbridge', (detail) => {
        (detail as unknown as { type: string }).type = type;
      }),
    );

  it('says which finding it is, like a change names its guardrail', () => {
    const report = reportOf(fixture('01-ec2-backdoor-cc-dns-eventbridge'));
    const { account } = report.assessment.event;
    expect(report.assessment.severity).toBe('critical');
    expect(renderSns(report).subject).toBe(
      `[driftguard] CRITICAL GuardDuty Backdoor:EC2/C&CActivity.B!DNS in ${account}: ${report.outcome.status}`,
    );
  });

  it('an untrusted type: one printable-ASCII line, bidi controls gone, cut with "..." so the account and outcome stay, under 100 characters', () => {
    const hostile = `Backdoor:EC2/\u202eSND!B.ytivitcA\u202c\r\nBcc: victim@example.com\u0007 ${'X'.repeat(200)}`;
    const report = withType(hostile);
    const { subject } = renderSns(report);
    const { account } = report.assessment.event;
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toBe(
      `[driftguard] CRITICAL GuardDuty Backdoor:EC2/SND!B.ytivitcA Bcc: victi... in ${account}: ${report.outcome.status}`,
    );
    expect(subject).toHaveLength(99);
    // Non-ASCII that is not a control: a visible '?', never dropped silently.
    expect(renderSns(withType('Trojan:EC2/Ünïcode')).subject).toContain('GuardDuty Trojan:EC2/?n?code in');
  });
});
