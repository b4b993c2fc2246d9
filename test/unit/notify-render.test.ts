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
      reverted and verified (sgr-0a1b2c3d4e5f60718)
      _Decision: rules.sg-open-ingress.mode = revert_",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "<https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/d3acf956-9a95-5900-a8d7-e58180d35299|Event d3acf956-9a95-5900-a8d7-e58180d35299 in CloudTrail> · Need this change? Ask for a break-glass exemption: \`driftguard exempt grant\` (approved by a second person).",
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
