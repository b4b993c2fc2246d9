import { readFileSync } from 'node:fs';
import {
  assess,
  assessFinding,
  defaultConfig,
  normalizeCloudTrail,
  normalizeGuardDuty,
  outcomeWithoutExecution,
  renderSlack,
  renderTicketPayload,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { type EvaluatorCase, loadCases } from '../support/cases';

const finding = JSON.parse(
  readFileSync(
    new URL('../fixtures/findings/01-ec2-backdoor-cc-dns-eventbridge.json', import.meta.url),
    'utf8',
  ),
) as { input: unknown };
const change = loadCases().find(([file]) => file.startsWith('sg-open-ingress/01-'))?.[1] as EvaluatorCase;

const contextText = (message: ReturnType<typeof renderSlack>) =>
  message.blocks
    .flatMap((block) => (block.type === 'context' ? block.elements.map((e) => e.text) : []))
    .join(' ');

describe('links to the source of a decision', () => {
  it('a GuardDuty finding links to the finding in the GuardDuty console, not to CloudTrail', () => {
    const normalized = normalizeGuardDuty(finding.input);
    if (!normalized.ok) throw new Error(normalized.reason);
    const assessment = assessFinding(normalized.finding, defaultConfig());
    const report = { assessment, outcome: outcomeWithoutExecution(assessment) };
    const text = contextText(renderSlack(report));
    expect(text).toContain(
      `.console.aws.amazon.com/guardduty/home?region=${assessment.event.region}#/findings`,
    );
    expect(text).toContain(`fId=${encodeURIComponent(normalized.finding.id)}`);
    expect(text).toContain('in GuardDuty>');
    expect(text).not.toContain('cloudtrail');
    expect(renderTicketPayload(report, 'ticket.opened').links).toHaveProperty('guardDuty');
  });

  it('a CloudTrail change links to the event in the CloudTrail console', () => {
    const normalized = normalizeCloudTrail(change.event);
    if (!normalized.ok) throw new Error(normalized.reason);
    const assessment = assess(normalized.change, defaultConfig());
    const text = contextText(renderSlack({ assessment, outcome: outcomeWithoutExecution(assessment) }));
    expect(text).toContain(`/cloudtrailv2/home?region=eu-west-1#/events/${normalized.change.eventId}`);
    expect(text).toContain('in CloudTrail>');
  });
});
