import {
  renderGitHubComment,
  renderGitHubIssue,
  renderJiraComment,
  renderJiraDescription,
  renderSlack,
  renderSns,
  renderTicketPayload,
  ticketKey,
  ticketTitle,
} from '@driftguard/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { sampleEvent, sampleReport } from '../support/notify';

const HOSTILE = {
  arn: 'arn:aws:sts::111122223333:assumed-role/Admin/<!channel> <https://evil.example|click> *bold* _it_ ~s~ `code` ```block```\nline2',
  sourceIp: '<!here>',
  userAgent: `<@U012AB3CD> ${'A'.repeat(4000)}`,
};

function hostileReport() {
  return sampleReport(sampleEvent({ actor: HOSTILE }));
}

/** Every mrkdwn / plain text of a message, in order. */
function texts(message: ReturnType<typeof renderSlack>): string[] {
  return message.blocks.flatMap((block) => {
    if (block.type === 'header') return [block.text.text];
    if (block.type === 'section')
      return [...(block.text ? [block.text.text] : []), ...(block.fields ?? []).map((f) => f.text)];
    if (block.type === 'context') return block.elements.map((element) => element.text);
    return [];
  });
}

describe('Slack rendering of untrusted text', () => {
  it('blocks snapshot: mentions, links, formatting, backticks and newlines are inert; 4,000 characters are truncated', () => {
    const message = renderSlack(hostileReport());
    expect(message).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "text": "CRITICAL · Security group open beyond trusted networks",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "fields": [
              {
                "text": "*Account*
      \`111122223333\`",
                "type": "mrkdwn",
              },
              {
                "text": "*Region*
      \`eu-west-1\`",
                "type": "mrkdwn",
              },
              {
                "text": "*Resource*
      \`sg-0123456789abcdef0\`",
                "type": "mrkdwn",
              },
              {
                "text": "*Change*
      \`ec2.amazonaws.com AuthorizeSecurityGroupIngress\`",
                "type": "mrkdwn",
              },
              {
                "text": "*Actor*
      \`arn:aws:sts::111122223333:assumed-role/Admin/&lt;!channel&gt; &lt;https://evil.example|click&gt; *bold* _it_ ~s~ ˋcodeˋ ˋˋˋblockˋˋˋ line2\`",
                "type": "mrkdwn",
              },
              {
                "text": "*Source IP*
      \`&lt;!here&gt;\`",
                "type": "mrkdwn",
              },
              {
                "text": "*User agent*
      \`&lt;@U012AB3CD&gt; AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA… [truncated]\`",
                "type": "mrkdwn",
              },
              {
                "text": "*Rule*
      \`sg-open-ingress\`",
                "type": "mrkdwn",
              },
            ],
            "type": "section",
          },
          {
            "text": {
              "text": "*What changed*
      • :red_circle: \`tcp/22 from 0.0.0.0/0: admin/database port 22 open to the whole internet\`",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*What driftguard did*
      \`reverted and verified (sgr-0a1b2c3d4e5f60718)\`
      _Decision:_ \`rules.sg-open-ingress.mode = revert\`",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "<https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/d3acf956-9a95-5900-a8d7-e58180d35299|Event d3acf956-9a95-5900-a8d7-e58180d35299 in CloudTrail> · Need this change? Ask for a break-glass exemption: \`driftguard exempt request\` (approved by a second person).",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "text": "CRITICAL Security group open beyond trusted networks in 111122223333/eu-west-1: reverted and verified (sgr-0a1b2c3d4e5f60718)",
      }
    `);
  });

  it('no untrusted text can open a link or mention: the only "<" in the message starts our own CloudTrail link', () => {
    const all = texts(renderSlack(hostileReport())).join('\n');
    const opens = [...all.matchAll(/</g)].map((match) => all.slice(match.index, match.index + 39));
    expect(opens).toEqual(['<https://eu-west-1.console.aws.amazon.c']);
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('&lt;!channel&gt;');
  });

  it("an account's name from Organizations is shown next to its id, inert like every untrusted value", () => {
    const report = hostileReport();
    report.assessment.event.accountName = '<!channel> prod `x`';
    const all = texts(renderSlack(report)).join('\n');
    expect(all).toContain('*Account*\n`111122223333 (&lt;!channel&gt; prod ˋxˋ)`');
    expect(all).not.toContain('<!channel>');
    expect(renderGitHubIssue(report).body).toContain('- **Account:** `111122223333 (<!channel> prod ˋxˋ)`');
  });

  it('respects Slack limits by truncating with a marker, never failing', () => {
    const message = renderSlack(hostileReport());
    for (const block of message.blocks) {
      if (block.type === 'section') {
        if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
        for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
        expect((block.fields ?? []).length).toBeLessThanOrEqual(10);
      }
    }
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const agent = texts(message).find((text) => text.startsWith('*User agent*')) ?? '';
    expect(agent).toContain('… [truncated]');
    expect(agent.length).toBeLessThan(400);
  });

  it('links the ticket when one exists, with the URL unable to break out of the link', () => {
    const report = {
      ...sampleReport(),
      tickets: [
        {
          channel: 'jira',
          id: 'SEC-12',
          url: 'https://acme.atlassian.net/browse/SEC-12',
          action: 'opened' as const,
        },
        {
          channel: 'github',
          id: 'acme/sec#7',
          url: 'https://github.com/acme/sec/issues/7?a=1|b>c',
          action: 'commented' as const,
        },
      ],
    };
    const section = texts(renderSlack(report)).find((text) => text.startsWith('*Ticket*'));
    expect(section).toBe(
      '*Ticket*\n<https://acme.atlassian.net/browse/SEC-12|SEC-12 (jira, opened)> · <https://github.com/acme/sec/issues/7?a=1%7Cb%3Ec|acme/sec#7 (github, commented)>',
    );
    expect(JSON.parse(renderSns(report).message).tickets).toEqual(report.tickets);
  });
});

/** The text of a Slack message that is neither inside a code span nor our own CloudTrail link. */
function outsideSpans(message: ReturnType<typeof renderSlack>): string {
  return texts(message)
    .join('\n')
    .replace(/`[^`]*`/g, '')
    .replace(/<https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/[^|>]*\|[^>]*>/g, '');
}

// Attacks from the December review (issue 12 §4): the decision and outcome lines quote actors,
// roles and exemption reasons; before, they were entity-escaped but left outside code spans, where
// `_` and `*` format, `phish.example.com` becomes a link, and a truncated section could end inside
// a span and swallow the rest of the message.
describe('Slack: decision lines and truncation', () => {
  const ATTACKER = 'arn:aws:sts::111122223333:assumed-role/terraform_x_/*urgent*_phish.example.com';
  const hostileDecision = () =>
    sampleReport(sampleEvent(), undefined, {
      ...sampleReport().outcome,
      status: 'ticketed',
      verified: false,
      summary: `circuit breaker open: 3 revert(s) within 30m, a fight with ${ATTACKER}; not reverted, ticket requested`,
    });

  it('the circuit-breaker and infrastructure-as-code lines keep every quoted value inside a code span', () => {
    const report = hostileDecision();
    report.assessment.decisionReason =
      `rules.sg-open-ingress.mode = revert; infrastructure-as-code change by role ${ATTACKER} matches ` +
      `infrastructureAsCode.roleArnPatterns arn:aws:iam::*:role/terraform_*: infrastructureAsCode.mode = ticket replaces revert; ` +
      `circuit breaker open: 3 revert(s) of sg-0123456789abcdef0 within 30m, a fight with ${ATTACKER}: ticket instead of revert`;
    const message = renderSlack(report);
    const outside = outsideSpans(message);
    expect(outside).not.toMatch(/phish|urgent|terraform|_x_/);
    const did = texts(message).find((text) => text.startsWith('*What driftguard did*')) ?? '';
    expect(did.split('\n')).toEqual([
      '*What driftguard did*',
      `\`circuit breaker open: 3 revert(s) within 30m, a fight with ${ATTACKER}; not reverted, ticket requested\``,
      expect.stringMatching(
        /^_Decision:_ `rules\.sg-open-ingress\.mode = revert; infrastructure-as-code change by role arn:aws:sts::111122223333:assumed-role\/terraform_x_\/\*urgent\*_phish\.example\.com .*`$/,
      ),
    ]);
  });

  test.prop(
    [fc.array(fc.string({ minLength: 1, maxLength: 900, unit: 'binary' }), { minLength: 1, maxLength: 40 })],
    {
      numRuns: 100,
    },
  )(
    'whatever the offenses and decision say, every section stays within Slack limits with its spans closed',
    (values) => {
      const report = hostileDecision();
      report.assessment.decisionReason = values.join('&');
      const violation = report.assessment.results[0]?.verdict;
      if (violation?.kind !== 'violation') throw new Error('fixture has no violation');
      violation.offenses = values.map(
        (reason) => ({ ...violation.offenses[0], reason }) as (typeof violation.offenses)[number],
      );
      const message = renderSlack(report);
      for (const block of message.blocks) {
        const parts =
          block.type === 'section' ? [...(block.text ? [block.text] : []), ...(block.fields ?? [])] : [];
        for (const part of parts) {
          expect(part.text.length).toBeLessThanOrEqual(
            block.type === 'section' && block.fields ? 2000 : 3000,
          );
          for (const line of part.text.split('\n')) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
        }
      }
      expect(outsideSpans(message)).not.toContain('&amp;');
    },
  );

  it('a long list of offenses drops whole lines with a count, never cutting inside a span', () => {
    const report = hostileDecision();
    const violation = report.assessment.results[0]?.verdict;
    if (violation?.kind !== 'violation') throw new Error('fixture has no violation');
    const first = violation.offenses[0] as (typeof violation.offenses)[number];
    violation.offenses = Array.from({ length: 30 }, (_, index) => ({
      ...first,
      reason: `${index} ${'&'.repeat(600)}`,
    }));
    const changed = texts(renderSlack(report)).find((text) => text.startsWith('*What changed*')) ?? '';
    expect(changed.length).toBeLessThanOrEqual(3000);
    const lines = changed.split('\n');
    expect(lines.at(-1)).toMatch(/^… and \d+ more line\(s\)$/);
    for (const line of lines.slice(1, -1))
      expect(line).toMatch(/^• :red_circle: `\d+ (&amp;)+… \[truncated\]`$/);
  });
});

describe('bidirectional control characters (Trojan Source) in untrusted text', () => {
  const BIDI = [
    '\u202a',
    '\u202b',
    '\u202c',
    '\u202d',
    '\u202e',
    '\u2066',
    '\u2067',
    '\u2068',
    '\u2069',
    '\u200e',
    '\u200f',
    '\u061c',
  ];
  const report = () =>
    sampleReport(
      sampleEvent({
        actor: {
          arn: `arn:aws:sts::111122223333:assumed-role/Admin/j${BIDI.join('')}doe`,
          userAgent: 'aws-cli/2 \u202e0/0.0.0.0\u202c',
        },
      }),
    );
  const hasBidi = (text: string) => /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(text);

  it('are stripped from Slack, SNS, Jira, GitHub and webhook output', () => {
    const outputs = {
      slack: JSON.stringify(renderSlack(report())),
      sns: renderSns(report()).message,
      jira: JSON.stringify(renderJiraDescription(report())) + JSON.stringify(renderJiraComment(report())),
      github: JSON.stringify(renderGitHubIssue(report())) + renderGitHubComment(report()),
      webhook: JSON.stringify(renderTicketPayload(report(), 'ticket.opened')),
    };
    for (const [channel, output] of Object.entries(outputs)) {
      expect({ channel, bidi: hasBidi(JSON.parse(JSON.stringify(output))) }).toEqual({
        channel,
        bidi: false,
      });
      expect(output).toContain('Admin/jdoe');
    }
  });
});

describe('ticket rendering', () => {
  it('keys a ticket by (rule, resource) and keeps the title stable across repeats', () => {
    const first = sampleReport(sampleEvent({ eventId: 'a' }));
    const repeat = sampleReport(
      sampleEvent({ eventId: 'b', eventTime: '2024-03-02T08:00:00Z', actor: HOSTILE }),
    );
    expect(ticketKey(first)).toEqual({
      rule: 'sg-open-ingress',
      resource: 'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0',
    });
    expect(ticketKey(repeat)).toEqual(ticketKey(first));
    expect(ticketTitle(first)).toBe(ticketTitle(repeat));
    expect(ticketTitle(first)).toMatchInlineSnapshot(
      `"[driftguard] CRITICAL Security group open beyond trusted networks: sg-0123456789abcdef0 in 111122223333/eu-west-1"`,
    );
  });

  it('GitHub markdown: every untrusted value is a one-line code span that cannot be closed', () => {
    const { body } = renderGitHubIssue(hostileReport());
    const actorLine = body.split('\n').find((line) => line.startsWith('- **Actor:**'));
    expect(actorLine).toBe(
      '- **Actor:** `arn:aws:sts::111122223333:assumed-role/Admin/<!channel> <https://evil.example|click> *bold* _it_ ~s~ ˋcodeˋ ˋˋˋblockˋˋˋ line2`',
    );
    // Outside code spans nothing from the actor survives: no mention, link or HTML can render.
    const outsideCode = body.replace(/`[^`\n]*`/g, '');
    expect(outsideCode).not.toMatch(/@U012|evil|<!|<@|\*bold\*/);
    expect(body.split('\n').find((line) => line.startsWith('- **User agent:**'))?.length).toBeLessThan(1100);
    expect(body).toContain(
      '](<https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/',
    );
    expect(renderGitHubComment(hostileReport())).toMatch(
      /^\*\*Repeat violation:\*\* `ec2\.amazonaws\.com AuthorizeSecurityGroupIngress` by `arn:aws:sts/,
    );
  });

  it('Jira ADF: untrusted values are code-marked text nodes on one line; no node is empty', () => {
    const doc = renderJiraDescription(hostileReport());
    expect(doc.version).toBe(1);
    expect(doc.type).toBe('doc');
    const nodes: { text: string; marks?: { type: string }[] }[] = [];
    const walk = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        const node = value as { type?: string; text?: string; marks?: { type: string }[] };
        if (node.type === 'text') nodes.push(node as { text: string });
        Object.values(value).forEach(walk);
      }
    };
    walk(doc);
    for (const node of nodes) {
      expect(node.text.length).toBeGreaterThan(0);
      expect(node.text).not.toMatch(/[\r\n]/);
    }
    const actor = nodes.find((node) => node.text.includes('<!channel>'));
    expect(actor?.marks).toEqual([{ type: 'code' }]);
    const link = nodes.find((node) => node.marks?.some((mark) => mark.type === 'link'));
    expect(link?.text).toBe('Open the event in the CloudTrail console');
    const comment = renderJiraComment(hostileReport()).content[0];
    expect(comment?.type).toBe('paragraph');
    expect(comment?.type === 'paragraph' ? comment.content.slice(0, 2) : []).toEqual([
      { type: 'text', text: 'Repeat violation: ', marks: [{ type: 'strong' }] },
      { type: 'text', text: 'ec2.amazonaws.com AuthorizeSecurityGroupIngress', marks: [{ type: 'code' }] },
    ]);
  });

  it('webhook payload: structured JSON with a stable dedupe key', () => {
    const payload = renderTicketPayload(sampleReport(), 'ticket.updated', {
      id: 'INC0012',
      url: 'https://sn.example/INC0012',
    });
    expect(payload).toMatchObject({
      version: 1,
      type: 'ticket.updated',
      dedupeKey: 'sg-open-ingress#arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0',
      ticket: { id: 'INC0012', url: 'https://sn.example/INC0012' },
      rule: 'sg-open-ingress',
      severity: 'critical',
      account: '111122223333',
      region: 'eu-west-1',
      resource: { type: 'AWS::EC2::SecurityGroup', id: 'sg-0123456789abcdef0' },
      action: 'revert',
      outcome: {
        status: 'reverted',
        verified: true,
        summary: 'reverted and verified (sgr-0a1b2c3d4e5f60718)',
      },
      latencyMs: 840,
    });
    expect(payload.offenses).toHaveLength(1);
  });
});
