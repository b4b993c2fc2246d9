import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelSecrets, httpChannels } from '@driftguard/aws';
import { defaultConfig } from '@driftguard/core';
import { afterAll, describe, expect, it } from 'vitest';
import { type Loopback, loopback, sampleReport } from '../support/notify';

/**
 * A deployed SST function reads linked secrets from an AES-256-GCM encrypted file named by
 * SST_KEY_FILE, keyed by SST_KEY (zero nonce, tag appended): the format sst/resource decrypts.
 */
function sstKeyFile(resources: Record<string, unknown>): { SST_KEY: string; SST_KEY_FILE: string } {
  const key = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.alloc(12, 0));
  const data = Buffer.concat([cipher.update(JSON.stringify(resources)), cipher.final(), cipher.getAuthTag()]);
  const file = join(mkdtempSync(join(tmpdir(), 'driftguard-sst-')), 'resource.enc');
  writeFileSync(file, data);
  return { SST_KEY: key.toString('base64'), SST_KEY_FILE: file };
}

describe('secrets in AWS: SST-linked secrets', () => {
  let slack: Loopback | undefined;
  afterAll(async () => {
    await slack?.close();
  });

  it('reads SlackWebhookUrl, JiraToken, GitHubToken and WebhookSecret from SST’s encrypted resources; empty ones stay off', async () => {
    slack = await loopback(() => ({ status: 200, body: 'ok' }));
    // Set before the first read: SST loads its resources once per process.
    Object.assign(
      process.env,
      sstKeyFile({
        SlackWebhookUrl: { type: 'sst.sst.Secret', value: `${slack.url}/services/T000/B000/FROMSST` },
        JiraToken: { type: 'sst.sst.Secret', value: 'jira-from-sst' },
        GitHubToken: { type: 'sst.sst.Secret', value: '' },
        WebhookSecret: { type: 'sst.sst.Secret', value: 'whsec-from-sst' },
      }),
    );
    expect(channelSecrets({})).toEqual({
      slackWebhookUrl: `${slack.url}/services/T000/B000/FROMSST`,
      jiraToken: 'jira-from-sst',
      gitHubToken: undefined,
      webhookSecret: 'whsec-from-sst',
    });
    // A plain environment variable wins (local runs, overrides).
    expect(channelSecrets({ JIRA_API_TOKEN: 'local' }).jiraToken).toBe('local');

    const { notifiers, warnings } = httpChannels({}, defaultConfig());
    expect(notifiers.map((notifier) => notifier.channel)).toEqual(['slack']);
    // The token alone does not enable Jira, nor the secret alone the webhook: they say what is missing.
    expect(warnings).toEqual([
      'jira is not enabled: missing notifications.jira.project in the config, JIRA_BASE_URL, JIRA_EMAIL',
      'webhook is not enabled: missing DRIFTGUARD_WEBHOOK_URL (webhooks are always signed)',
    ]);
    expect(await notifiers[0]?.notify(sampleReport())).toEqual({ ok: true, attempts: 1 });
    expect(slack.requests[0]?.path).toBe('/services/T000/B000/FROMSST');
  });
});
