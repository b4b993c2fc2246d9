import type { Assessment } from './assess';
import type { Config } from './config';
import { CHANNELS, type Channel, type ChannelRef, TICKET_CHANNELS } from './notifications-config';
import { CATALOG } from './rules/catalog';
import { GUARDDUTY_RULE_ID } from './rules/guardduty-finding';
import type { Guardrail } from './rules/guardrail';
import { SEVERITIES } from './verdict';

export interface Route {
  /** Concrete channels that fire, in a stable order (tickets first: alerts link to them). */
  channels: Channel[];
  /** Which setting chose them, in words (recorded in the audit trail). */
  reason: string;
}

const ORDER: readonly Channel[] = [...TICKET_CHANNELS, 'slack', 'sns', 'securityhub'];

function expand(refs: readonly ChannelRef[]): Channel[] {
  const out = new Set<Channel>();
  for (const ref of refs) {
    if (ref === 'ticket') for (const channel of TICKET_CHANNELS) out.add(channel);
    else out.add(ref);
  }
  return ORDER.filter((channel) => out.has(channel));
}

/**
 * Which channels fire for a decided event. Pure. Only violations notify; a guardrail switched off
 * (`action: none`) does not. Exempted and shadow decisions still notify: the message says so.
 * A rule in `ticket` mode always reaches the ticket channels. `available` is the set of channels
 * that are configured (secrets present); the others are dropped and named in the reason.
 */
export function routeNotification(
  assessment: Assessment,
  config: Pick<Config, 'notifications'>,
  available: readonly Channel[] = CHANNELS,
): Route {
  if (assessment.status === 'ignored' && assessment.finding?.archived) {
    // Only a ticket an earlier version of the finding opened is told (tickets.ts opens none).
    const channels = TICKET_CHANNELS.filter((channel) => available.includes(channel));
    return {
      channels,
      reason: `archived finding → ${channels.length > 0 ? channels.join(', ') : 'no ticket channel'}: an open ticket for it is told`,
    };
  }
  if (assessment.status !== 'violation')
    return { channels: [], reason: `no violation (${assessment.status})` };
  if (assessment.action === 'none')
    return { channels: [], reason: `not acted on (${assessment.decisionReason}): nothing to notify` };
  const severity = assessment.severity ?? 'low';
  const rule = assessment.rule ?? '';
  const { bySeverity, byRule } = config.notifications;
  const configured = byRule[rule]?.[severity];
  // A guardrail may have its own default route (GuardDuty: low → SNS, medium → Slack, …).
  const builtIn = configured ? undefined : CATALOG.find((g) => g.id === rule)?.defaultRoute?.[severity];
  const own = configured ?? builtIn;
  const refs: ChannelRef[] = [...(own ?? bySeverity[severity])];
  const reasons = [
    configured
      ? `notifications.byRule.${rule}.${severity}`
      : builtIn
        ? `default route of ${rule} for ${severity}`
        : `notifications.bySeverity.${severity}`,
  ];
  if (assessment.action === 'ticket' && !refs.includes('ticket')) {
    refs.push('ticket');
    reasons.push('ticket mode');
  }
  if (wantsSecurityHubFinding(assessment, config) && !refs.includes('securityhub')) {
    refs.push('securityhub');
    reasons.push('notifications.securityHub');
  }
  const wanted = expand(refs);
  const channels = wanted.filter((channel) => available.includes(channel));
  // `ticket` means "whichever ticket systems are set up": only name it when none is.
  const missing: string[] = refs.filter(
    (ref): ref is Channel => ref !== 'ticket' && !available.includes(ref),
  );
  if (refs.includes('ticket') && !TICKET_CHANNELS.some((channel) => available.includes(channel)))
    missing.push('ticket');
  return {
    channels,
    reason: `${reasons.join(' + ')} → ${wanted.length > 0 ? wanted.join(', ') : 'no channel'}${
      missing.length > 0 ? ` (not configured: ${missing.join(', ')})` : ''
    }`,
  };
}

/**
 * Security Hub keeps a finding per violation at or above its minimum severity, whatever the alert
 * route says: it is the record other tools read, not a pager. GuardDuty findings are left out:
 * GuardDuty sends its own to Security Hub.
 */
function wantsSecurityHubFinding(assessment: Assessment, config: Pick<Config, 'notifications'>): boolean {
  const settings = config.notifications.securityHub;
  if (!settings || assessment.rule === GUARDDUTY_RULE_ID) return false;
  return SEVERITIES.indexOf(assessment.severity ?? 'low') >= SEVERITIES.indexOf(settings.minSeverity);
}

/** Rule ids named in `notifications.byRule` that no guardrail has (typos), for a startup warning. */
export function unknownRouteRules(
  config: Pick<Config, 'notifications'>,
  catalog: readonly Guardrail[] = CATALOG,
): string[] {
  const known = new Set(catalog.map((guardrail) => guardrail.id));
  return Object.keys(config.notifications.byRule).filter((rule) => !known.has(rule));
}
