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
  } = {},
): Record<string, unknown> {
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
            fromPort: 22,
            toPort: 22,
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
            fromPort: 22,
            toPort: 22,
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
