import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  assess,
  type Config,
  defaultConfig,
  normalizeCloudTrail,
  outcomeWithoutExecution,
  parseConfig,
  type Report,
} from '@driftguard/core';

/** Who made the change; every field is attacker-controlled in real life. */
export interface SampleActor {
  arn?: string;
  sourceIp?: string;
  userAgent?: string;
}

/**
 * An EventBridge CloudTrail event: tcp/22 opened to 0.0.0.0/0 on `groupId` (critical,
 * revert by rule id). Deterministic unless `eventId` / `eventTime` are given.
 */
export function sampleEvent(
  options: {
    groupId?: string;
    eventId?: string;
    eventTime?: string;
    account?: string;
    actor?: SampleActor;
    /** tcp port opened to 0.0.0.0/0: 22 is critical, 443 high. */
    port?: number;
  } = {},
): Record<string, unknown> {
  const port = options.port ?? 22;
  const account = options.account ?? '111122223333';
  const groupId = options.groupId ?? 'sg-0123456789abcdef0';
  const eventTime = options.eventTime ?? '2024-03-01T10:05:00Z';
  return {
    version: '0',
    id: 'e0c5b0a1-0000-4000-8000-00000000000a',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account,
    time: eventTime,
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLEID:jdoe',
        arn: options.actor?.arn ?? `arn:aws:sts::${account}:assumed-role/Admin/jdoe`,
        accountId: account,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLEID',
            arn: `arn:aws:iam::${account}:role/Admin`,
            accountId: account,
            userName: 'Admin',
          },
        },
      },
      eventTime,
      eventSource: 'ec2.amazonaws.com',
      eventName: 'AuthorizeSecurityGroupIngress',
      awsRegion: 'eu-west-1',
      sourceIPAddress: options.actor?.sourceIp ?? '198.51.100.7',
      userAgent: options.actor?.userAgent ?? 'console.ec2.amazonaws.com',
      requestParameters: {
        groupId,
        ipPermissions: {
          items: {
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            ipRanges: { items: { cidrIp: '0.0.0.0/0' } },
          },
        },
      },
      responseElements: {
        _return: true,
        securityGroupRuleSet: {
          items: {
            groupOwnerId: account,
            groupId,
            securityGroupRuleId: 'sgr-0a1b2c3d4e5f60718',
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            cidrIpv4: '0.0.0.0/0',
          },
        },
      },
      eventID: options.eventId ?? 'd3acf956-9a95-5900-a8d7-e58180d35299',
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
    },
  };
}

export function configWith(input: unknown): Config {
  const parsed = parseConfig(input);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.config;
}

/** The report of `event` as decided under `config`, with the outcome given (default: verified revert). */
export function sampleReport(
  event: unknown = sampleEvent(),
  config: Config = defaultConfig(),
  outcome?: Report['outcome'],
): Report {
  const normalized = normalizeCloudTrail(event);
  if (!normalized.ok) throw new Error(normalized.reason);
  const assessment = assess(normalized.change, config);
  return {
    assessment,
    outcome: outcome ?? {
      ...outcomeWithoutExecution(assessment),
      status: 'reverted',
      verified: true,
      summary: 'reverted and verified (sgr-0a1b2c3d4e5f60718)',
    },
    latencyMs: 840,
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Milliseconds since the server started, to assert the waits between retries. */
  at: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Answer only after this many milliseconds (timeouts). */
  delayMs?: number;
}

export interface Loopback {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that records every request exactly as received and answers with
 * `handler` (a function of the request and how many requests came before it).
 */
export async function loopback(
  handler: (request: RecordedRequest, index: number) => Reply,
): Promise<Loopback> {
  const started = Date.now();
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now() - started,
      };
      const index = requests.push(recorded) - 1;
      const reply = handler(recorded, index);
      const send = () => {
        if (res.destroyed) return;
        const body =
          reply.body === undefined
            ? ''
            : typeof reply.body === 'string'
              ? reply.body
              : JSON.stringify(reply.body);
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(body);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Retry tests should not wait real backoff: record the delays asked for instead. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

/** The part of Jira Cloud's REST v3 driftguard uses: create issue, comment, read status. */
export async function fakeJira(options: { failFirst?: Reply[] } = {}) {
  const issues = new Map<string, { fields: Record<string, unknown>; comments: unknown[]; done: boolean }>();
  const failures = [...(options.failFirst ?? [])];
  const server = await loopback((request) => {
    const failure = failures.shift();
    if (failure) return failure;
    const comment = /^\/rest\/api\/3\/issue\/([A-Z]+-\d+)\/comment$/.exec(request.path);
    const status = /^\/rest\/api\/3\/issue\/([A-Z]+-\d+)\?fields=status$/.exec(request.path);
    if (request.method === 'POST' && request.path === '/rest/api/3/issue') {
      const { fields } = JSON.parse(request.body) as { fields: Record<string, unknown> };
      const key = `${(fields.project as { key: string }).key}-${issues.size + 1}`;
      issues.set(key, { fields, comments: [], done: false });
      return {
        status: 201,
        body: { id: String(10_000 + issues.size), key, self: `http://jira/rest/api/3/issue/${key}` },
      };
    }
    if (request.method === 'POST' && comment?.[1]) {
      const issue = issues.get(comment[1]);
      if (!issue) return { status: 404, body: { errorMessages: ['Issue does not exist'] } };
      issue.comments.push(JSON.parse(request.body));
      return { status: 201, body: { id: String(issue.comments.length) } };
    }
    if (request.method === 'GET' && status?.[1]) {
      const issue = issues.get(status[1]);
      if (!issue) return { status: 404, body: { errorMessages: ['Issue does not exist'] } };
      const key = issue.done ? 'done' : 'indeterminate';
      return {
        status: 200,
        body: { key: status[1], fields: { status: { name: key, statusCategory: { key } } } },
      };
    }
    return { status: 400, body: { errorMessages: [`unexpected ${request.method} ${request.path}`] } };
  });
  return { server, issues };
}

/** The part of GitHub's issues API driftguard uses. */
export async function fakeGitHub(repo: string) {
  const issues = new Map<
    number,
    { title: string; body: string; labels: string[]; comments: string[]; state: string }
  >();
  const base = `/repos/${repo}/issues`;
  const server = await loopback((request) => {
    const match = new RegExp(`^${base}/(\\d+)(/comments)?$`).exec(request.path);
    if (request.method === 'POST' && request.path === base) {
      const issue = JSON.parse(request.body) as { title: string; body: string; labels: string[] };
      const number = issues.size + 1;
      issues.set(number, { ...issue, comments: [], state: 'open' });
      return {
        status: 201,
        body: { number, html_url: `https://github.example/${repo}/issues/${number}`, state: 'open' },
      };
    }
    const issue = match ? issues.get(Number(match[1])) : undefined;
    if (match && !issue) return { status: 404, body: { message: 'Not Found' } };
    if (issue && request.method === 'POST' && match?.[2]) {
      issue.comments.push((JSON.parse(request.body) as { body: string }).body);
      return { status: 201, body: { id: issue.comments.length } };
    }
    if (issue && request.method === 'GET' && !match?.[2])
      return { status: 200, body: { number: Number(match?.[1]), state: issue.state } };
    return { status: 422, body: { message: `unexpected ${request.method} ${request.path}` } };
  });
  return { server, issues };
}
