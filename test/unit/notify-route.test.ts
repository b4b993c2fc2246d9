import { defaultConfig, parseConfig, routeNotification, unknownRouteRules } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith, sampleReport } from '../support/notify';

describe('notifications config', () => {
  it('defaults: low → SNS, medium/high → SNS + Slack, critical → SNS + Slack + ticket; 400 days of audit', () => {
    const { notifications } = defaultConfig();
    expect(notifications.bySeverity).toEqual({
      low: ['sns'],
      medium: ['sns', 'slack'],
      high: ['sns', 'slack'],
      critical: ['sns', 'slack', 'ticket'],
    });
    expect(notifications.audit.retentionDays).toBe(400);
    expect(notifications.delivery).toEqual({
      timeoutMs: 3000,
      attempts: 3,
      backoffMs: 250,
      maxRetryAfterMs: 5000,
    });
    expect(notifications.jira).toBeUndefined();
  });

  it('rejects secrets and typos it can see: unknown keys, bad channel names, bad project keys, bad repos', () => {
    const bad = [
      { notifications: { slack: { webhookUrl: 'https://hooks.slack.com/services/T/B/x' } } },
      { notifications: { bySeverity: { low: ['email'] } } },
      { notifications: { jira: { project: 'sec ops' } } },
      { notifications: { github: { repo: 'no-slash' } } },
      { notifications: { jira: { project: 'SEC', apiToken: 'secret' } } },
    ];
    for (const input of bad) expect(parseConfig(input).ok, JSON.stringify(input)).toBe(false);
  });

  it('fills in Jira and GitHub defaults', () => {
    const config = configWith({
      notifications: { jira: { project: 'SEC' }, github: { repo: 'acme/security' } },
    });
    expect(config.notifications.jira).toEqual({ project: 'SEC', issueType: 'Task', labels: ['driftguard'] });
    expect(config.notifications.github).toEqual({
      repo: 'acme/security',
      labels: ['driftguard'],
      apiUrl: 'https://api.github.com',
    });
  });

  it('names byRule entries that match no guardrail', () => {
    const config = configWith({
      notifications: { byRule: { 'sg-open-ingress': { low: [] }, 'sg-open-ingres': { low: [] } } },
    });
    expect(unknownRouteRules(config)).toEqual(['sg-open-ingres']);
  });
});

describe('routeNotification', () => {
  const all = ['slack', 'sns', 'jira', 'github', 'webhook'] as const;

  it('a critical violation goes to every configured ticket system first, then Slack and SNS', () => {
    const report = sampleReport();
    expect(report.assessment.severity).toBe('critical');
    expect(routeNotification(report.assessment, defaultConfig(), all)).toEqual({
      channels: ['jira', 'github', 'webhook', 'slack', 'sns'],
      reason: 'notifications.bySeverity.critical → jira, github, webhook, slack, sns',
    });
  });

  it('drops channels that are not configured and says which explicitly named ones are missing', () => {
    const report = sampleReport();
    const route = routeNotification(report.assessment, defaultConfig(), ['sns']);
    expect(route.channels).toEqual(['sns']);
    expect(route.reason).toBe(
      'notifications.bySeverity.critical → jira, github, webhook, slack, sns (not configured: slack, ticket)',
    );
  });

  it('a rule route replaces the default for the severities it names only', () => {
    const config = configWith({ notifications: { byRule: { 'sg-open-ingress': { critical: ['github'] } } } });
    const route = routeNotification(sampleReport(undefined, config).assessment, config, all);
    expect(route).toEqual({
      channels: ['github'],
      reason: 'notifications.byRule.sg-open-ingress.critical → github',
    });
    const other = configWith({ notifications: { byRule: { 'sg-open-ingress': { low: [] } } } });
    expect(routeNotification(sampleReport(undefined, other).assessment, other, all).channels).toEqual([
      'jira',
      'github',
      'webhook',
      'slack',
      'sns',
    ]);
  });

  it('ticket mode always reaches the ticket channels, even when the severity route has none', () => {
    const config = configWith({
      rules: { 'sg-open-ingress': { mode: 'ticket' } },
      notifications: { bySeverity: { critical: ['sns'] } },
    });
    const report = sampleReport(undefined, config);
    expect(report.assessment.action).toBe('ticket');
    expect(routeNotification(report.assessment, config, ['sns', 'jira'])).toEqual({
      channels: ['jira', 'sns'],
      reason: 'notifications.bySeverity.critical + ticket mode → jira, github, webhook, sns',
    });
  });

  it('shadow decisions still notify; a guardrail switched off does not', () => {
    const shadow = configWith({ dryRun: true });
    const shadowed = sampleReport(undefined, shadow);
    expect(shadowed.assessment.action).toBe('shadow');
    expect(routeNotification(shadowed.assessment, shadow, all).channels).toContain('slack');

    const off = configWith({ rules: { 'sg-open-ingress': { mode: 'off' } } });
    const route = routeNotification(sampleReport(undefined, off).assessment, off, all);
    expect(route.channels).toEqual([]);
    expect(route.reason).toMatch(/^not acted on \(rules\.sg-open-ingress\.mode = off/);
  });

  it('compliant and ignored events notify nobody', () => {
    const report = sampleReport();
    const compliant = { ...report.assessment, status: 'compliant' as const, action: 'none' as const };
    expect(routeNotification(compliant, defaultConfig(), all)).toEqual({
      channels: [],
      reason: 'no violation (compliant)',
    });
  });
});
