import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';
import { UsageError } from './errors';

/** SHA-256 (and HMAC-SHA-256 with a secret) for SigV4, from node:crypto. */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** `https://<id>.lambda-url.<region>.on.aws/` → the region Lambda verifies the signature for. */
export function functionUrlRegion(url: URL): string | undefined {
  return /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1];
}

export interface SignedCall {
  /** The exemption API's function URL. */
  url: string;
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** The region to sign for when the URL does not say (a loopback test server, a custom domain). */
  region?: string;
  /** Default: the AWS SDK's default credential chain (env, profile, SSO, container, instance). */
  credentials?: AwsCredentialIdentity | (() => Promise<AwsCredentialIdentity>);
  fetch?: typeof fetch;
}

export interface SignedAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Calls an AWS_IAM function URL as the caller's own AWS identity: the request is signed with
 * SigV4 for service `lambda`, so Lambda authenticates the caller and hands its ARN to the function.
 */
export async function signedCall(call: SignedCall): Promise<SignedAnswer> {
  let base: URL;
  try {
    base = new URL(call.url);
  } catch {
    throw new UsageError(
      `the exemption API URL "${call.url}" is not a URL (DRIFTGUARD_EXEMPTIONS_URL or --url)`,
    );
  }
  const region = functionUrlRegion(base) ?? call.region;
  if (!region) throw new UsageError('cannot tell the region of the exemption API URL: set AWS_REGION');
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  const path = `${base.pathname.replace(/\/$/, '')}${call.path}`;
  const signer = new SignatureV4({
    service: 'lambda',
    region,
    credentials: call.credentials ?? defaultProvider(),
    sha256: NodeSha256,
  });
  const signed = await signer.sign({
    method: call.method,
    protocol: base.protocol,
    hostname: base.hostname,
    ...(base.port ? { port: Number(base.port) } : {}),
    path,
    query: call.query ?? {},
    headers: {
      host: base.host,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  });
  const target = new URL(path, base);
  for (const [name, value] of Object.entries(call.query ?? {})) target.searchParams.set(name, value);
  const response = await (call.fetch ?? fetch)(target, {
    method: call.method,
    headers: signed.headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { error: text.slice(0, 500) };
  }
  return { status: response.status, body: parsed };
}
