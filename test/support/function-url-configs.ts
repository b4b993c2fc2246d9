import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Call } from './faults';

/**
 * Lambda's function URL configs and resource policies per qualifier, which moto 5.2.1 does not
 * model: it keeps one URL and one policy per function and ignores `Qualifier`, so an alias's URL
 * (`my-function:live`) or a version's grant (`my-function:3`) cannot be told from the function's.
 * This loopback stand-in answers exactly those calls (Create/Get/Update/Delete FunctionUrlConfig,
 * AddPermission/GetPolicy/RemovePermission, REST JSON as Lambda speaks it, keyed by function and
 * qualifier); everything else goes to moto through the fault proxy's `route` (see
 * `routeFunctionUrls`).
 */
export interface FunctionUrlConfigs {
  endpoint: string;
  /** The calls it answered, as `METHOD function[:qualifier] {body}`. */
  calls: string[];
  authType(functionName: string, qualifier?: string): string | undefined;
  /** The statement ids of the function's (or the qualifier's) policy. */
  statementIds(functionName: string, qualifier?: string): string[];
  close(): Promise<void>;
}

const URL_PATH = /^\/2021-10-31\/functions\/([^/]+)\/url\/?$/;
const POLICY_PATH = /^\/2015-03-31\/functions\/([^/]+)\/policy(?:\/([^/]+))?\/?$/;

/** The statement AddPermission adds, as Lambda words it (the principal forms driftguard's tests use). */
function permissionStatement(body: Record<string, unknown>, resource: string): Record<string, unknown> {
  const principal = String(body.Principal);
  const condition: Record<string, Record<string, unknown>> = {};
  if (body.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': body.SourceAccount };
  if (body.PrincipalOrgID)
    condition.StringEquals = { ...condition.StringEquals, 'aws:PrincipalOrgID': body.PrincipalOrgID };
  if (body.SourceArn) condition.ArnLike = { 'AWS:SourceArn': body.SourceArn };
  return {
    Sid: body.StatementId,
    Effect: 'Allow',
    Principal:
      principal === '*'
        ? '*'
        : /^\d{12}$/.test(principal)
          ? { AWS: `arn:aws:iam::${principal}:root` }
          : principal.startsWith('arn:')
            ? { AWS: principal }
            : { Service: principal },
    Action: body.Action,
    Resource: resource,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

async function bodyOf(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startFunctionUrlConfigs(account: string, region: string): Promise<FunctionUrlConfigs> {
  const configs = new Map<string, Record<string, unknown>>();
  const policies = new Map<string, Record<string, unknown>[]>();
  const calls: string[] = [];
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://loopback');
    const policyPath = POLICY_PATH.exec(url.pathname);
    const name = decodeURIComponent((policyPath ?? URL_PATH.exec(url.pathname))?.[1] ?? '');
    const qualifier = url.searchParams.get('Qualifier') ?? undefined;
    const key = qualifier ? `${name}:${qualifier}` : name;
    const body = await bodyOf(request);
    calls.push(`${request.method} ${policyPath ? 'policy ' : ''}${key} ${JSON.stringify(body)}`);
    const reply = (status: number, payload: unknown, errorType?: string) => {
      response.writeHead(status, {
        'content-type': 'application/json',
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      response.end(JSON.stringify(payload));
    };
    const existing = configs.get(key);
    const notFound = () =>
      reply(
        404,
        { Type: 'User', Message: `The resource you requested does not exist. (${key})` },
        'ResourceNotFoundException',
      );
    if (!name) return notFound();
    if (policyPath) {
      const statements = policies.get(key) ?? [];
      const sid = policyPath[2] ? decodeURIComponent(policyPath[2]) : undefined;
      switch (request.method) {
        case 'POST': {
          if (statements.some((statement) => statement.Sid === body.StatementId))
            return reply(
              409,
              { Type: 'User', Message: `${body.StatementId} exists` },
              'ResourceConflictException',
            );
          const statement = permissionStatement(body, `arn:aws:lambda:${region}:${account}:function:${key}`);
          policies.set(key, [...statements, statement]);
          return reply(201, { Statement: JSON.stringify(statement) });
        }
        case 'GET':
          if (statements.length === 0) return notFound();
          return reply(200, {
            Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }),
            RevisionId: `${statements.length}`,
          });
        case 'DELETE': {
          if (!statements.some((statement) => statement.Sid === sid)) return notFound();
          policies.set(
            key,
            statements.filter((statement) => statement.Sid !== sid),
          );
          return reply(204, {});
        }
        default:
          return notFound();
      }
    }
    switch (request.method) {
      case 'POST': {
        if (existing)
          return reply(409, { Type: 'User', Message: `${key} has a URL` }, 'ResourceConflictException');
        const created = {
          FunctionUrl: `https://${key.replace(/\W/g, '').toLowerCase()}.lambda-url.${region}.on.aws/`,
          FunctionArn: `arn:aws:lambda:${region}:${account}:function:${key}`,
          AuthType: body.AuthType,
          CreationTime: new Date().toISOString(),
          LastModifiedTime: new Date().toISOString(),
        };
        configs.set(key, created);
        return reply(201, created);
      }
      case 'GET':
        return existing ? reply(200, existing) : notFound();
      case 'PUT': {
        if (!existing) return notFound();
        const updated = { ...existing, ...body, LastModifiedTime: new Date().toISOString() };
        configs.set(key, updated);
        return reply(200, updated);
      }
      case 'DELETE':
        configs.delete(key);
        return reply(204, {});
      default:
        return notFound();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    authType: (functionName, qualifier) =>
      configs.get(qualifier ? `${functionName}:${qualifier}` : functionName)?.AuthType as string | undefined,
    statementIds: (functionName, qualifier) =>
      (policies.get(qualifier ? `${functionName}:${qualifier}` : functionName) ?? []).map(
        (statement) => statement.Sid as string,
      ),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The fault proxy's `route`: function URL config and policy calls to the stand-in, the rest to moto. */
export function routeFunctionUrls(standIn: FunctionUrlConfigs): (call: Call) => string | undefined {
  return (call) =>
    call.service === 'lambda' &&
    / \/(2021-10-31\/functions\/[^/]+\/url|2015-03-31\/functions\/[^/]+\/policy(\/[^/?]+)?)\/?(\?|$)/.test(
      call.action,
    )
      ? standIn.endpoint
      : undefined;
}
