import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of moto that injects the failures AWS produces and an emulator
 * does not: throttling, AccessDenied for one account, requests that never get an answer, and
 * responses lost after the server applied the call. Point the code under test at `endpoint`; keep
 * the test's own setup and checks on moto directly.
 *
 * It also counts what reached moto: `applied` per action (2xx answers, including those whose
 * response was then dropped) and `revoked` per security-group rule id, so a test can prove that no
 * action was applied twice.
 */
export interface FaultPlan {
  /** Fraction of calls answered with the service's throttling error (never reach moto). */
  throttle?: number;
  /** Fraction of calls held without an answer until the client gives up (never reach moto). */
  timeout?: number;
  /** Fraction of calls forwarded to moto and applied, whose response is then lost (socket reset). */
  drop?: number;
  /** Accounts whose AssumeRole is denied (the member role is missing or does not trust us). */
  deniedAccounts?: readonly string[];
  /** Which calls the random faults may hit (default: all). AssumeRole denial applies regardless. */
  eligible?: (call: Call) => boolean;
  /** Seed of the fault dice, for reproducible runs. */
  seed?: number;
  /**
   * Holds a call until the returned promise settles (then it goes on as planned): lines concurrent
   * requests up at a chosen point, so a race is the same on every run.
   */
  hold?: (call: Call) => Promise<void> | undefined;
}

export interface Call {
  /** Signing name from the credential scope: ec2, sts, dynamodb, sqs, sns, s3, organizations, … */
  service: string;
  /** Action=… (query protocols), X-Amz-Target's operation (JSON protocols), or METHOD path (REST). */
  action: string;
  /** The access key that signed the call (moto's account follows from it). */
  accessKeyId?: string;
  /** The request body as text (to aim a fault at one write among several of the same action). */
  body?: string;
}

export interface FaultStats {
  calls: number;
  forwarded: number;
  throttled: number;
  timedOut: number;
  dropped: number;
  denied: number;
  /** 2xx answers from moto per action (applied), counted even when the answer was then dropped. */
  applied: Map<string, number>;
  /**
   * SDK invocations that applied RevokeSecurityGroupIngress per rule id, or DeleteVpcPeeringConnection
   * per connection id: more than 1 would be an action applied twice.
   */
  revoked: Map<string, number>;
  /** Time moto took per action (forwarded calls): where a slow run spends it. */
  upstreamMs: Map<string, { calls: number; ms: number }>;
  /** Calls per service signing name (every call, answered by moto or by a fault). */
  byService: Map<string, number>;
}

export interface FaultProxy {
  endpoint: string;
  stats: FaultStats;
  plan: FaultPlan;
  setPlan(plan: FaultPlan): void;
  reset(): void;
  /** Calls forwarded upstream and not answered yet, oldest first (to find a call moto never answers). */
  inFlight(): { action: string; service: string; ms: number; body: string }[];
  close(): Promise<void>;
}

/** mulberry32: small, seedable, good enough for dice. */
function dice(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function callOf(req: IncomingMessage, body: string): Call {
  const auth = String(req.headers.authorization ?? '');
  const scope = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\//.exec(auth);
  const service = scope?.[2] ?? 'unknown';
  const target = req.headers['x-amz-target'];
  let action: string;
  if (typeof target === 'string') action = target.split('.').at(-1) ?? target;
  else {
    const form = new URLSearchParams(body);
    action = form.get('Action') ?? `${req.method} ${(req.url ?? '').split('?')[0]}`;
  }
  return { service, action, body, ...(scope?.[1] ? { accessKeyId: scope[1] } : {}) };
}

const xml = 'text/xml';

/** An injected answer, in the protocol of the service it stands in for. */
interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

/** The throttling answer each protocol family gives (codes the SDK classifies as throttling). */
function throttling(req: IncomingMessage, call: Call): Reply {
  const requestId = randomUUID();
  if (typeof req.headers['x-amz-target'] === 'string') {
    return {
      status: 400,
      type: 'application/x-amz-json-1.0',
      body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded (injected)' }),
    };
  }
  if (call.service === 'lambda') {
    // REST-JSON: the error's type travels in a header, the body is JSON (an XML body breaks the SDK's parser).
    return {
      status: 429,
      type: 'application/json',
      headers: { 'x-amzn-errortype': 'TooManyRequestsException' },
      body: JSON.stringify({ message: 'Rate exceeded (injected)', Reason: 'CallerRateLimitExceeded' }),
    };
  }
  if (call.service === 'ec2') {
    return {
      status: 503,
      type: xml,
      body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded (injected).</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  }
  if (call.service === 's3') {
    return {
      status: 503,
      type: 'application/xml',
      body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate (injected).</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  }
  return {
    status: 400,
    type: xml,
    body: `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded (injected)</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function accessDenied(roleArn: string): { status: number; type: string; body: string } {
  return {
    status: 403,
    type: xml,
    body: `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/driftguard-evaluate/test is not authorized to perform: sts:AssumeRole on resource: ${roleArn} (injected)</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

export async function startFaultProxy(
  target: string,
  initial: FaultPlan = {},
  options: {
    /** Another upstream for some calls (e.g. one moto process per service, to use more than one core). */
    route?(call: Call): string | undefined;
    /**
     * Calls moto must answer one at a time. moto serves requests on threads without locks, so two
     * concurrent DynamoDB requests can interleave inside moto: an ADD lost, a conditional write
     * whose condition both pass, a cancelled transaction putting back a copy of the table taken
     * before other requests committed (test/support/repro-moto-transaction-rollback.ts). DynamoDB
     * applies each request atomically; serialising restores that, and only that: requests from
     * concurrent workers still interleave with each other, so a read-modify-write split over two
     * requests still races here as it would on AWS.
     */
    serialize?(call: Call): boolean;
  } = {},
): Promise<FaultProxy> {
  const defaultUpstream = new URL(target);
  const fresh = (): FaultStats => ({
    calls: 0,
    forwarded: 0,
    throttled: 0,
    timedOut: 0,
    dropped: 0,
    denied: 0,
    applied: new Map(),
    revoked: new Map(),
    upstreamMs: new Map(),
    byService: new Map(),
  });
  const state = { plan: initial, stats: fresh(), roll: dice(initial.seed ?? 1) };
  /** Per destroyed target, the SDK invocations that applied it (behind stats.revoked). */
  let invocations = new Map<string, Set<string>>();
  const held = new Set<ServerResponse>();
  /** The tail of the serialised calls: the next one is forwarded when it settles. */
  let serialTail: Promise<void> = Promise.resolve();
  const outstanding = new Set<{ call: Call; sentAt: number; body: string }>();

  const answer = (res: ServerResponse, reply: Reply) => {
    res.writeHead(reply.status, {
      ...reply.headers,
      'content-type': reply.type,
      'content-length': Buffer.byteLength(reply.body),
    });
    res.end(reply.body);
  };

  const forward = (
    upstream: URL,
    req: IncomingMessage,
    body: Buffer,
    onDone: (status: number, payload: Buffer, headers: Record<string, string | string[] | undefined>) => void,
    onError: (error: Error) => void,
  ) => {
    const outgoing = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => onDone(response.statusCode ?? 502, Buffer.concat(chunks), response.headers));
        response.on('error', onError);
      },
    );
    outgoing.on('error', onError);
    outgoing.end(body);
  };

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const text = body.toString('utf8');
    if ((req.url ?? '').startsWith('/moto-api')) {
      return forward(
        defaultUpstream,
        req,
        body,
        (status, payload, headers) => {
          res.writeHead(status, headers);
          res.end(payload);
        },
        () => res.destroy(),
      );
    }
    const call = callOf(req, text);
    const { plan, stats } = state;
    stats.calls += 1;
    stats.byService.set(call.service, (stats.byService.get(call.service) ?? 0) + 1);
    if (call.action === 'AssumeRole' && plan.deniedAccounts?.length) {
      const roleArn = new URLSearchParams(text).get('RoleArn') ?? '';
      const account = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(roleArn)?.[1];
      if (account && plan.deniedAccounts.includes(account)) {
        stats.denied += 1;
        return answer(res, accessDenied(roleArn));
      }
    }
    await plan.hold?.(call);
    const eligible = plan.eligible ? plan.eligible(call) : true;
    const roll = eligible ? state.roll() : 1;
    const throttle = plan.throttle ?? 0;
    const timeout = plan.timeout ?? 0;
    const drop = plan.drop ?? 0;
    if (roll < throttle) {
      stats.throttled += 1;
      return answer(res, throttling(req, call));
    }
    if (roll < throttle + timeout) {
      // Never answered: the client's request timeout fires and it retries. Cleaned up on close.
      stats.timedOut += 1;
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    const dropIt = roll < throttle + timeout + drop;
    stats.forwarded += 1;
    const routed = options.route?.(call);
    let settle = () => {};
    if (options.serialize?.(call)) {
      const previous = serialTail;
      serialTail = new Promise<void>((resolve) => {
        settle = resolve;
      });
      await previous;
    }
    const sentAt = Date.now();
    const pending = { call, sentAt, body: text.slice(0, 400) };
    outstanding.add(pending);
    forward(
      routed ? new URL(routed) : defaultUpstream,
      req,
      body,
      (status, payload, headers) => {
        settle();
        outstanding.delete(pending);
        const timing = stats.upstreamMs.get(call.action) ?? { calls: 0, ms: 0 };
        stats.upstreamMs.set(call.action, { calls: timing.calls + 1, ms: timing.ms + Date.now() - sentAt });
        if (status >= 200 && status < 300) {
          stats.applied.set(call.action, (stats.applied.get(call.action) ?? 0) + 1);
          const targets = destroyedBy(call.action, new URLSearchParams(text));
          // The SDK keeps amz-sdk-invocation-id across its retries of one call: a retry after a
          // lost answer is the same action, a second invocation is a second action.
          const invocation = String(req.headers['amz-sdk-invocation-id'] ?? randomUUID());
          for (const target of targets) {
            const seen = invocations.get(target) ?? new Set<string>();
            seen.add(invocation);
            invocations.set(target, seen);
            stats.revoked.set(target, seen.size);
          }
        }
        if (dropIt) {
          // Applied by moto, answer lost on the way back.
          stats.dropped += 1;
          req.socket.destroy();
          return;
        }
        res.writeHead(status, headers);
        res.end(payload);
      },
      () => {
        settle();
        outstanding.delete(pending);
        res.destroy();
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get stats() {
      return state.stats;
    },
    get plan() {
      return state.plan;
    },
    setPlan(plan) {
      state.plan = plan;
      state.roll = dice(plan.seed ?? 1);
    },
    reset() {
      state.stats = fresh();
      invocations = new Map();
    },
    inFlight: () =>
      [...outstanding].map(({ call, sentAt, body }) => ({
        action: call.action,
        service: call.service,
        ms: Date.now() - sentAt,
        body,
      })),
    close: () =>
      new Promise((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a successful call destroyed: revoked rule ids, a deleted peering connection. */
function destroyedBy(action: string, params: URLSearchParams): string[] {
  if (action === 'RevokeSecurityGroupIngress')
    return [...params].filter(([key]) => key.startsWith('SecurityGroupRuleId.')).map(([, value]) => value);
  if (action === 'DeleteVpcPeeringConnection') return params.getAll('VpcPeeringConnectionId');
  return [];
}
