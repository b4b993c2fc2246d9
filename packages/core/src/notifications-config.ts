import * as z from 'zod/mini';
import { SEVERITIES } from './verdict';

/**
 * Where alerts and tickets go. Only routing and non-secret settings live here: webhook URLs and
 * tokens come from the environment (SST secrets in AWS), never from the config file.
 */
export const CHANNELS = ['slack', 'sns', 'jira', 'github', 'webhook', 'securityhub'] as const;
export type Channel = (typeof CHANNELS)[number];
export const TICKET_CHANNELS = ['jira', 'github', 'webhook'] as const satisfies readonly Channel[];

/** A channel name, or `ticket`: every ticket channel that is configured (Jira, GitHub, webhook). */
const channelRef = z.enum([...CHANNELS, 'ticket']);
export type ChannelRef = z.infer<typeof channelRef>;
const channelList = z.array(channelRef);

const bySeveritySchema = z.strictObject({
  low: z._default(channelList, ['sns']),
  medium: z._default(channelList, ['sns', 'slack']),
  high: z._default(channelList, ['sns', 'slack']),
  critical: z._default(channelList, ['sns', 'slack', 'ticket']),
});

/** Per rule, the severities it names replace the default route; the others keep it. */
const ruleRouteSchema = z.strictObject({
  low: z.optional(channelList),
  medium: z.optional(channelList),
  high: z.optional(channelList),
  critical: z.optional(channelList),
});

const labels = z._default(z.array(z.string().check(z.regex(/^\S{1,255}$/, 'labels cannot contain spaces'))), [
  'driftguard',
]);
const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
/** A whole number from `min` to `max`. */
const integer = (min: number, max: number) => z.number().check(z.int(), z.minimum(min), z.maximum(max));

export const notificationsSchema = z.strictObject({
  /** Channels per severity, for every rule without its own route. */
  bySeverity: z.prefault(bySeveritySchema, {}),
  /** Channels per rule and severity, e.g. `{ "guardduty-finding": { "low": [] } }`. */
  // Rule ids are not checked against the catalog here: config.ts must not import the rules (they
  // import config values). `unknownRouteRules` in route.ts reports typos instead.
  byRule: z._default(
    z.record(z.string().check(z.regex(/^[a-z0-9-]+$/, 'must be a rule id')), ruleRouteSchema),
    {},
  ),
  jira: z.optional(
    z.strictObject({
      /** Project key, e.g. SEC. The site URL, user email and API token come from the environment. */
      project: z.string().check(z.regex(/^[A-Z][A-Z0-9_]{1,9}$/, 'must be a Jira project key such as SEC')),
      issueType: z._default(z.string().check(z.minLength(1)), 'Task'),
      labels,
      /** Overrides JIRA_BASE_URL, e.g. https://example.atlassian.net (not a secret). */
      baseUrl: z.optional(httpsUrl),
    }),
  ),
  github: z.optional(
    z.strictObject({
      /** owner/name of the repository that receives the issues. The token comes from GITHUB_TOKEN. */
      repo: z.string().check(z.regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name')),
      labels,
      /** GitHub Enterprise Server: https://github.example.com/api/v3 */
      apiUrl: z._default(httpsUrl, 'https://api.github.com'),
    }),
  ),
  /**
   * AWS Security Hub in the security account (opt-in): each violation becomes an ASFF finding
   * of the account's default product, one per (rule, resource), resolved by a verified revert.
   * `{}` turns it on for every severity; GuardDuty findings are left out (GuardDuty sends its
   * own findings to Security Hub).
   */
  securityHub: z.optional(
    z.strictObject(
      {
        /** Violations at or above this severity become findings. */
        minSeverity: z._default(
          z.enum(SEVERITIES, {
            error: `must be one of ${SEVERITIES.join(', ')} (violations below it get no finding)`,
          }),
          'low',
        ),
        /** The Security Hub region that receives the findings (default: the function's region). */
        region: z.optional(
          z
            .string()
            .check(
              z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1, or left out'),
            ),
        ),
      },
      {
        error: (issue) => {
          if (issue.code === 'invalid_type')
            return 'must be an object: {} turns Security Hub findings on, { "minSeverity": "high" } limits them';
          if (issue.code === 'unrecognized_keys')
            return `unknown setting ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}: securityHub takes minSeverity and region`;
          return undefined;
        },
      },
    ),
  ),
  // Defaults fit the evaluate function's 60 s: per phase (tickets, then alerts) at worst
  // 3 attempts × 3 s + 2 waits × 5 s ≈ 19 s. Raise them only with the function's timeout.
  delivery: z.prefault(
    z.strictObject({
      /** Per HTTP attempt. */
      timeoutMs: z._default(integer(100, 30_000), 3_000),
      /** Attempts per channel, including the first. */
      attempts: z._default(integer(1, 6), 3),
      /** First backoff delay; doubles per retry, with jitter. */
      backoffMs: z._default(integer(0, 10_000), 250),
      /** A Retry-After longer than this gives up instead of waiting (the Lambda has a deadline). */
      maxRetryAfterMs: z._default(integer(0, 120_000), 5_000),
    }),
    {},
  ),
  audit: z.prefault(
    z.strictObject({
      /** Audit records expire (DynamoDB TTL) after this many days. */
      retentionDays: z._default(integer(1, 3650), 400),
    }),
    {},
  ),
});

export type NotificationsConfig = z.output<typeof notificationsSchema>;
