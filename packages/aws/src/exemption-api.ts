import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type AuthenticatedCaller,
  approveRequest,
  authenticatedPrincipal,
  CATALOG,
  type Config,
  type GrantRefusal,
  type IdentityRefusal,
  type Principal,
  type RequestInput,
  validateRequest,
} from '@driftguard/core';
import type { Announce } from './announce';
import { clientConfig } from './clients';
import { enforcementFromEnv } from './enforcement-runtime';
import { DriftguardError, ExemptionNotFoundError, RequestNotPendingError } from './errors';
import { configFromEnv } from './runtime';
import { configuredLoader, type RuntimeLoaderOptions } from './runtime-loader';
import { stateDocumentClient } from './store/document-client';
import type { ExemptionStore } from './store/exemptions';

/** One call to the exemption API, as the function URL handler hands it on. */
export interface ApiCall {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  /** The JSON body (undefined when there is none). */
  body: unknown;
  /** From AWS authentication (the IAM authorizer context); absent when the URL is not IAM-authorized. */
  caller?: AuthenticatedCaller;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
  /** What the call was and what became of it, for the function's metrics and log keys. */
  trace: ApiTrace;
}

/** The API's calls, as a closed set (a metric dimension). */
export type ApiOperation = 'request' | 'list-requests' | 'approve' | 'list-exemptions' | 'revoke' | 'unknown';

/**
 * Why a call was refused, as a closed class (a metric dimension); the answer's `error` says it in
 * full. `unauthenticated`: no AWS identity (the URL is not IAM-authorized); `already-decided`: the
 * request was approved already, or the exemption is not pending any more.
 */
export type ApiRefusal =
  | 'disabled'
  | 'unauthenticated'
  | IdentityRefusal
  | GrantRefusal
  | 'invalid-input'
  | 'not-found'
  | 'already-decided'
  | 'no-such-call';

/**
 * One call as the operator sees it: never a secret (no header, no signature, no access key), only
 * the authenticated caller's ARN and the ids and scope the call touched.
 */
export interface ApiTrace {
  operation: ApiOperation;
  /** Absent when the call was accepted. */
  refusal?: ApiRefusal;
  /** The authenticated caller's ARN (absent without an AWS identity). */
  caller?: string;
  /**
   * Identity fields the body named (`requester`, `approver`, …) that are not the caller. They are
   * ignored, since who acts is what AWS authenticated; someone sending them is trying to act as
   * someone else.
   */
  claimedIdentities?: string[];
  requestId?: string;
  exemptionId?: string;
  account?: string;
  rule?: string;
}

export interface ExemptionApiOptions {
  config: Config;
  store: ExemptionStore;
  announce?: Announce;
  now?: () => number;
  /** Ids of requests and exemptions (random by default). */
  newId?: (kind: 'req' | 'ex', now: number) => string;
}

export function randomId(kind: 'req' | 'ex', now: number): string {
  return `${kind}-${new Date(now).toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}

/** The body fields that name a person; the API takes none of them from the body. */
const IDENTITY_FIELDS = [
  'requester',
  'approver',
  'requesterPrincipal',
  'approverPrincipal',
  'revokedBy',
  'by',
  'caller',
] as const;

const ROUTES: Record<string, ApiOperation> = {
  'POST /requests': 'request',
  'GET /requests': 'list-requests',
  'POST /requests/{id}/approve': 'approve',
  'GET /exemptions': 'list-exemptions',
  'POST /exemptions/{id}/revoke': 'revoke',
};

/** The operation a method and path ask for, and the id in the path (`/requests/{id}/approve`). */
export function apiOperation(method: string, path: string): { operation: ApiOperation; id: string } {
  const parts = path.split('/').filter(Boolean);
  const route = `${method.toUpperCase()} /${parts.map((part, i) => (i === 1 ? '{id}' : part)).join('/')}`;
  return { operation: ROUTES[route] ?? 'unknown', id: parts[1] ?? '' };
}

/** The identity fields of a body that name someone other than `caller`. */
function claimedIdentities(body: unknown, caller: string | undefined): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const fields = body as Record<string, unknown>;
  return IDENTITY_FIELDS.filter((name) => fields[name] !== undefined && fields[name] !== caller);
}

/** The ids and scope a request or an exemption carries, as trace fields. */
const scopeOf = (
  scope: { id: string; account: string; rule?: string },
  idField: 'requestId' | 'exemptionId',
) => ({
  [idField]: scope.id,
  account: scope.account,
  ...(scope.rule ? { rule: scope.rule } : {}),
});

const optionalText = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The request body's scope and reason; any other field (a claimed requester…) is ignored. */
function requestInput(body: unknown): RequestInput | string {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  const fields = body as Record<string, unknown>;
  for (const name of ['account', 'duration', 'reason', 'ticket'])
    if (typeof fields[name] !== 'string') return `"${name}" is required (a string)`;
  const resource = optionalText(fields.resource);
  const rule = optionalText(fields.rule);
  return {
    account: String(fields.account),
    duration: String(fields.duration),
    reason: String(fields.reason),
    ticket: String(fields.ticket),
    ...(resource ? { resource } : {}),
    ...(rule ? { rule } : {}),
  };
}

/**
 * The break-glass API behind an IAM-authorized function URL. Every act is attributed to the
 * principal AWS authenticated (`caller`), never to a name in the body:
 *
 *   POST /requests                     ask for an exemption (body: account, resource?, rule?, duration, reason, ticket)
 *   GET  /requests                     pending requests
 *   POST /requests/{id}/approve        approve someone else's request: the exemption starts now
 *   GET  /exemptions?account=&ended=   exemptions (active; `ended=true` adds ended ones)
 *   POST /exemptions/{id}/revoke       end an exemption now
 *
 * Expected refusals are answers (400, 403, 404, 409) with the reason; store failures throw.
 */
export function exemptionApi(options: ExemptionApiOptions): (call: ApiCall) => Promise<ApiAnswer> {
  const { config, store } = options;
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomId;
  const knownRules = CATALOG.map((guardrail) => guardrail.id);

  return async (call) => {
    const { operation, id } = apiOperation(call.method, call.path);
    const claimed = claimedIdentities(call.body, call.caller?.userArn);
    const base: ApiTrace = {
      operation,
      ...(call.caller?.userArn ? { caller: call.caller.userArn } : {}),
      ...(claimed.length > 0 ? { claimedIdentities: claimed } : {}),
    };
    const answer = (status: number, body: unknown, trace: Partial<ApiTrace> = {}): ApiAnswer => ({
      status,
      body,
      trace: { ...base, ...trace },
    });
    const refused = (status: number, refusal: ApiRefusal, error: string, trace: Partial<ApiTrace> = {}) =>
      answer(status, { error }, { ...trace, refusal });

    if (!config.exemptions.enabled)
      return refused(
        403,
        'disabled',
        'exemptions are disabled: set "exemptions": { "enabled": true } in the driftguard config to allow break-glass exemptions',
      );
    if (!call.caller?.userArn)
      return refused(
        401,
        'unauthenticated',
        'no AWS identity: the exemption API must sit behind an AWS_IAM function URL (sign the request with SigV4)',
      );
    const who = authenticatedPrincipal(call.caller, config);
    if (!who.ok) return refused(403, who.refusal, who.reason);
    const principal = who.principal;
    const at = now();
    switch (operation) {
      case 'request':
        return request(call.body, principal, at);
      case 'list-requests':
        return answer(200, { requests: await store.pendingRequests(at) });
      case 'approve':
        return approve(id, principal, at);
      case 'list-exemptions': {
        const account = call.query.account;
        if (account !== undefined && !/^\d{12}$/.test(account))
          return refused(400, 'invalid-input', `account must be a 12-digit AWS account id, not "${account}"`);
        const records = await store.list({
          now: at,
          ...(account ? { account } : {}),
          ...(call.query.ended === 'true' ? { ended: true } : {}),
        });
        return answer(200, { exemptions: records }, account ? { account } : {});
      }
      case 'revoke':
        return revoke(id, principal, at);
      default:
        return refused(404, 'no-such-call', `no such call: ${call.method} ${call.path}`);
    }

    async function request(body: unknown, requester: Principal, at: number): Promise<ApiAnswer> {
      const input = requestInput(body);
      if (typeof input === 'string') return refused(400, 'invalid-input', input);
      const made = validateRequest(input, requester, config, { id: newId('req', at), now: at, knownRules });
      if (!made.ok) return refused(400, 'invalid-input', made.reason);
      await store.request(made.request);
      return answer(201, { request: made.request }, scopeOf(made.request, 'requestId'));
    }

    async function approve(requestId: string, approver: Principal, at: number): Promise<ApiAnswer> {
      const record = await store.getRequest(requestId);
      if (!record) return refused(404, 'not-found', `no request has the id ${requestId}`, { requestId });
      const scope = scopeOf(record.request, 'requestId');
      if (record.approvedAt)
        return refused(
          409,
          'already-decided',
          `request ${requestId} was approved at ${record.approvedAt} by ${record.approvedBy}`,
          { ...scope, ...(record.exemptionId ? { exemptionId: record.exemptionId } : {}) },
        );
      const granted = approveRequest(record.request, approver, config, { id: newId('ex', at), now: at });
      if (!granted.ok) return refused(403, granted.refusal, granted.reason, scope);
      const exemptionId = granted.exemption.id;
      try {
        await store.approve(requestId, granted.exemption);
      } catch (error) {
        if (error instanceof RequestNotPendingError)
          return refused(409, 'already-decided', error.message, scope);
        throw error;
      }
      const announced =
        (await options.announce?.({
          kind: 'exemption-granted',
          at: new Date(at).toISOString(),
          exemption: granted.exemption,
        })) ?? [];
      return answer(200, { exemption: granted.exemption, announced }, { ...scope, exemptionId });
    }

    async function revoke(exemptionId: string, by: Principal, at: number): Promise<ApiAnswer> {
      try {
        const record = await store.revoke(exemptionId, by.arn, new Date(at).toISOString());
        const announced =
          (await options.announce?.({
            kind: 'exemption-revoked',
            at: new Date(at).toISOString(),
            exemption: record.exemption,
            by: by.arn,
          })) ?? [];
        const { exemption } = record;
        return answer(
          200,
          { exemption: record, announced },
          {
            ...scopeOf(exemption, 'exemptionId'),
            ...(exemption.requestId ? { requestId: exemption.requestId } : {}),
          },
        );
      } catch (error) {
        if (error instanceof ExemptionNotFoundError)
          return refused(404, 'not-found', error.message, { exemptionId });
        throw error;
      }
    }
  };
}

/** The API wired from the environment with a given config (a local run's, or the parameter's). */
export function exemptionApiFromEnv(
  env: NodeJS.ProcessEnv,
  options: { config?: Config; now?: () => number } = {},
): (call: ApiCall) => Promise<ApiAnswer> {
  const config = options.config ?? configFromEnv(env);
  const region = env.AWS_REGION ?? 'us-east-1';
  const ddb = stateDocumentClient(
    new DynamoDBClient(clientConfig({ region, endpoint: env.AWS_ENDPOINT_URL })),
  );
  const { exemptions, announce } = enforcementFromEnv(env, config, { ddb });
  if (config.exemptions.enabled && !exemptions)
    throw new DriftguardError('the exemption API needs DRIFTGUARD_EXEMPTIONS_TABLE (or DRIFTGUARD_TABLE)');
  const store = exemptions ?? unavailableStore();
  return exemptionApi({ config, store, announce, ...(options.now ? { now: options.now } : {}) });
}

/**
 * The API for each invocation, like `runtimeLoader`: with DRIFTGUARD_CONFIG_PARAMETER (deployed)
 * the config comes from Parameter Store (cached; a refused publish keeps the last good config and
 * is reported), and the API is rebuilt only when the config in force changes; without it,
 * DRIFTGUARD_CONFIG is read once.
 */
export function exemptionApiLoader(
  env: NodeJS.ProcessEnv,
  options: RuntimeLoaderOptions = {},
): () => Promise<(call: ApiCall) => Promise<ApiAnswer>> {
  return configuredLoader(env, (config) => exemptionApiFromEnv(env, config ? { config } : {}), options);
}

/** Exemptions are disabled: the API refuses every call before touching a store. */
function unavailableStore(): ExemptionStore {
  return new Proxy({} as ExemptionStore, {
    get: () => () => Promise.reject(new DriftguardError('exemptions are disabled')),
  });
}
