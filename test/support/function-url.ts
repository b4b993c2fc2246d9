import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult } from 'aws-lambda';
import { NodeSha256 } from '../../packages/cli/src/signed-api';

/** An IAM identity the loopback "AWS" knows: its access key, its secret, who it is. */
export interface TestIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  userArn: string;
  accountId: string;
  /** `AROA…:session` for a role session, `AIDA…` for a user (what AWS puts in callerId/userId). */
  userId: string;
}

/** A function URL event exactly as Lambda builds it for an AWS_IAM-authorized request. */
export function functionUrlEvent(request: {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
  caller?: TestIdentity;
}): LambdaFunctionURLEventWithIAMAuthorizer {
  const query = request.query ?? {};
  const rawQueryString = new URLSearchParams(query).toString();
  const caller = request.caller;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString,
    headers: { 'content-type': 'application/json', ...request.headers },
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnop',
      domainName: 'abcdefghijklmnop.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghijklmnop',
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'driftguard-test',
      },
      requestId: crypto.randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      // What Lambda's IAM authorizer fills in from the verified signature.
      authorizer: caller
        ? {
            iam: {
              accessKey: caller.accessKeyId,
              accountId: caller.accountId,
              callerId: caller.userId,
              cognitoIdentity: null,
              principalOrgId: 'o-exampleorgid',
              userArn: caller.userArn,
              userId: caller.userId,
            },
          }
        : (undefined as never),
    },
    ...(request.body !== undefined ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

/**
 * A loopback stand-in for an AWS_IAM function URL: it checks each request's SigV4 signature
 * (service `lambda`) against the identities it knows, answers 403 like Lambda when the request is
 * unsigned or the signature does not verify, and otherwise hands the handler the event Lambda
 * would, with the signer's identity in `requestContext.authorizer.iam`.
 */
export async function startFunctionUrl(
  identities: readonly TestIdentity[],
  handler: (event: LambdaFunctionURLEventWithIAMAuthorizer) => Promise<LambdaFunctionURLResult>,
): Promise<{ url: string; refused: string[]; close(): Promise<void> }> {
  const refused: string[] = [];
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://loopback');
    const deny = (why: string) => {
      refused.push(why);
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ Message: 'Forbidden' }));
    };
    const match = AUTHORIZATION.exec(String(request.headers.authorization ?? ''));
    if (!match) return deny('unsigned');
    const [, keyId, , region, service, signedHeaders, signature] = match as unknown as string[];
    const identity = identities.find((candidate) => candidate.accessKeyId === keyId);
    if (!identity || service !== 'lambda') return deny(`unknown key ${keyId} or service ${service}`);
    const headers: Record<string, string> = {};
    for (const name of String(signedHeaders).split(';')) headers[name] = String(request.headers[name] ?? '');
    const amzDate = headers['x-amz-date'] ?? '';
    const signingDate = new Date(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    const resigned = await new SignatureV4({
      service: 'lambda',
      region: String(region),
      credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
      sha256: NodeSha256,
    }).sign(
      {
        method: request.method ?? 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        ...(body ? { body } : {}),
      },
      { signingDate },
    );
    if (!String(resigned.headers.authorization).endsWith(`Signature=${signature}`))
      return deny(`bad signature for ${keyId}`);
    const result = await handler(
      functionUrlEvent({
        method: request.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        ...(body ? { body } : {}),
        caller: identity,
      }),
    );
    const answer = typeof result === 'string' ? { statusCode: 200, body: result } : result;
    response.writeHead(answer.statusCode ?? 200, { 'content-type': 'application/json' });
    response.end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
