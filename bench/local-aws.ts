/**
 * What the benches that drive driftguard's handlers against moto share: local-only credentials, a
 * numeric command-line option, two moto servers (the organization in one, the state table in the
 * other: moto serves each on one core), clients for them, the state table, and a fault proxy that
 * routes DynamoDB to the state server and counts its calls per operation and item kind.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { ensureStateTable } from '@driftguard/aws';
import { describeMotoExit, type MotoServer, motoAvailable, startMoto } from '../packages/cli/src/moto';
import { type FaultPlan, type FaultProxy, startFaultProxy } from '../test/support/faults';
import { fastMotoPython } from './moto-fast';

/** moto accepts any credentials; a real AWS endpoint is never configured by a bench. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** Local-only process environment: moto's credentials, no profile or session, quiet SDK and logs. */
export function useLocalEnvironment(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  // The handlers' EMF metrics would be printed on stdout, where the bench prints its table.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

/** `--name 12` on the command line, or the fallback. */
export function numberOption(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

export const log = (text: string) => process.stderr.write(`${text}\n`);

/** SDK client settings for a local endpoint. */
export const localClient = (endpoint: string, region = 'us-east-1') => ({
  endpoint,
  region,
  credentials: LOCAL_CREDENTIALS,
  maxAttempts: 3,
});

export interface LocalAws {
  /** Accounts, queues, buckets: everything but the state table. */
  world: string;
  /** The state table only. */
  state: string;
}

/**
 * Runs `body` with two patched moto servers (bench/moto-fast.ts), stopped afterwards. Exit code 2
 * when moto is not installed. If either goes away mid-run (killed by someone else, crashed), the
 * run ends at once with exit code 1 and says which, when, how, and what it last wrote on stderr:
 * what it held (queues, the state table) is gone, so restarting it could not honestly continue.
 */
export async function withLocalAws(what: string, body: (aws: LocalAws) => Promise<number>): Promise<number> {
  if (!motoAvailable()) {
    log(`moto is not installed (pip install "moto[server]"): ${what} needs it`);
    return 2;
  }
  const python = fastMotoPython();
  const started = await Promise.allSettled([startMoto({ python }), startMoto({ python })]);
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failed.reason;
  }
  const [world, state] = servers as [MotoServer, MotoServer];
  const roles = new Map([
    [world, 'the moto holding accounts, queues and buckets'],
    [state, 'the moto holding the state table'],
  ]);
  log(`moto on ${world.endpoint} (accounts, queues, buckets) and ${state.endpoint} (state table)`);
  const wentAway = Promise.race(
    servers.map((server) => server.unexpectedExit.then((exit) => ({ server, exit }))),
  );
  let report: string | undefined;
  try {
    const outcome = await Promise.race([
      body({ world: world.endpoint, state: state.endpoint }).then(
        (code) => ({ code }),
        (error: unknown) => ({ error }),
      ),
      wentAway.then((gone) => ({ gone })),
    ]);
    if ('code' in outcome) return outcome.code;
    // A run whose moto went away usually fails first with ECONNREFUSED from one of its clients:
    // wait a moment for the exit to be seen, and report the cause rather than the symptom.
    const gone =
      'gone' in outcome
        ? outcome.gone
        : await Promise.race([
            wentAway,
            new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 3_000)),
          ]);
    if (!gone) throw (outcome as { error: unknown }).error;
    report = [
      `FAILED: ${what} lost ${roles.get(gone.server)} mid-run; its results would be meaningless.`,
      describeMotoExit(gone.exit),
      ...('error' in outcome ? [`the run's own error: ${errorText(outcome.error)}`] : []),
    ].join('\n');
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
  log(report);
  return 1;
}

const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);

/** Credentials in a member account, through its DriftGuardRemediation role (moto lets any caller assume it). */
export function memberCredentials(world: string, session: string) {
  const sts = new STSClient(localClient(world));
  return async (account: string): Promise<AwsCredentialIdentity> => {
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${account}:role/DriftGuardRemediation`,
        RoleSessionName: session,
      }),
    );
    return {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
    };
  };
}

export async function createStateTable(aws: LocalAws, table: string): Promise<void> {
  await ensureStateTable(new DynamoDBClient(localClient(aws.state)), table);
}

/** DynamoDB calls that reached moto, by "Operation ITEMKIND" (the item's key prefix, e.g. SNAPSHOT). */
export type DynamoTally = Map<string, number>;

/** The kinds of item (key prefix before the first `#`) a DynamoDB request names. */
function itemKindsOf(body: string): string[] {
  let request: Record<string, unknown>;
  try {
    request = JSON.parse(body);
  } catch {
    return ['?'];
  }
  const kindOf = (key: unknown) => {
    const pk = (key as { pk?: { S?: string } } | undefined)?.pk?.S;
    return pk ? (pk.split('#')[0] ?? pk) : '?';
  };
  const named: unknown[] = [];
  if (request.Key) named.push(request.Key);
  if (request.Item) named.push(request.Item);
  for (const entry of (request.TransactItems as Record<string, { Key?: unknown; Item?: unknown }>[]) ?? [])
    for (const operation of Object.values(entry)) named.push(operation.Key ?? operation.Item);
  for (const table of Object.values((request.RequestItems as Record<string, unknown>) ?? {})) {
    const { Keys } = table as { Keys?: unknown[] };
    if (Keys) named.push(...Keys);
  }
  return [...new Set(named.map(kindOf))];
}

/**
 * A fault proxy in front of moto that sends DynamoDB to the state server and tallies each DynamoDB
 * call by operation and the kinds of item it names. `serializeState`: one DynamoDB request at a time
 * (moto applies concurrent ones without isolation: test/support/repro-moto-transaction-rollback.ts).
 */
export async function startStateProxy(
  aws: LocalAws,
  faults: FaultPlan = {},
  { serializeState = true }: { serializeState?: boolean } = {},
): Promise<{ proxy: FaultProxy; dynamo: DynamoTally }> {
  const dynamo: DynamoTally = new Map();
  const proxy = await startFaultProxy(aws.world, faults, {
    route: (call) => {
      if (call.service !== 'dynamodb') return undefined;
      const label = `${call.action} ${itemKindsOf(call.body ?? '').join('+')}`;
      dynamo.set(label, (dynamo.get(label) ?? 0) + 1);
      return aws.state;
    },
    serialize: (call) => serializeState && call.service === 'dynamodb',
  });
  return { proxy, dynamo };
}
