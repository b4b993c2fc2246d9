import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoEndpoint } from '../support/aws';
import { runCli } from '../support/cli';
import { type Loopback, loopback } from '../support/notify';

describe.skipIf(!motoEndpoint)('driftguard demo with SLACK_WEBHOOK_URL', () => {
  let slack: Loopback;
  beforeAll(async () => {
    slack = await loopback(() => ({ status: 200, body: 'ok' }));
  });
  afterAll(async () => {
    await slack?.close();
  });

  it('shows the Slack message in the terminal and really posts it to the webhook', async () => {
    const { code, stdout } = await runCli(['demo'], {
      env: { SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/DEMO`, DRIFTGUARD_TABLE: '' },
    });
    expect(code).toBe(0);
    expect(stdout).toContain('▶ The alert as it reads in Slack');
    expect(stdout).toContain('│ CRITICAL · ');
    expect(stdout).toContain('✔ slack: delivered');
    // The security-group scene shows its deliveries; other scenes may post too (one message each).
    const announced = stdout.split('\n').filter((line) => line.includes('✔ slack: delivered'));
    expect(announced).toHaveLength(1);
    expect(slack.requests.length).toBeGreaterThanOrEqual(1);
    const messages = slack.requests.map((request) => {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/services/T000/B000/DEMO');
      expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
      return JSON.parse(request.body) as {
        text: string;
        blocks: { type: string; text?: { text: string } }[];
      };
    });
    const sg = messages.find((message) =>
      message.text.includes('Security group open beyond trusted networks'),
    );
    expect(sg?.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'CRITICAL · Security group open beyond trusted networks' },
    });
    expect(sg?.text).toMatch(/^CRITICAL .* in 123456789012\/us-east-1: reverted and verified/);
  }, 120_000);
});
