/**
 * Runs infra/ under Pulumi mocks, offline (DESIGN.md §6): SST's globals are defined here, SST's
 * rpc server is a loopback HTTP stub, and `@pulumi/*` is loaded from `.sst/platform/node_modules`
 * so SST's components and infra/ share one Pulumi runtime. Every resource registration is
 * recorded with its resolved inputs for the tests to inspect.
 *
 * One stack per test file: Pulumi's mock monitor is process-wide and URNs must be unique. Files that
 * only read the production stack share one run of it (`recordedProdStack`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { inject } from 'vitest';
import type { StageSettings } from '../../../infra/stages';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const PLATFORM = join(ROOT, '.sst', 'platform');
export const MOCK_ACCOUNT = '123456789012';
export const MOCK_REGION = 'us-east-1';
/** The regions the mocked account has enabled: AWS's 17 default regions and one opt-in region. */
export const MOCK_ENABLED_REGIONS = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'me-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
] as const;
/** Stage files for the infra tests (DRIFTGUARD_STAGES_DIR): realistic values, no placeholders. */
export const FIXTURE_STAGES = join(ROOT, 'test', 'infra', 'fixtures', 'stages');

export interface RecordedResource {
  type: string;
  name: string;
  /** True for `Resource.get` lookups of existing resources (SST reads a role passed as `role`). */
  read: boolean;
  /**
   * Logical names of the resources this one depends on directly (explicit `dependsOn` and inputs
   * taken from their outputs): Pulumi creates those first and deletes them after this one.
   */
  dependsOn: string[];
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
}

/** The slice of `@pulumi/pulumi` used here (its types live in .sst/platform, outside the root tsconfig). */
/** The part of Pulumi's RegisterResourceRequest the harness reads. */
interface RegisterRequest {
  getName(): string;
  getDependenciesList(): string[];
}

interface PulumiRuntime {
  runtime: {
    getMonitor(): unknown;
    setMocks(
      mocks: {
        newResource(args: { type: string; name: string; inputs: Record<string, unknown>; id?: string }): {
          id: string;
          state: Record<string, unknown>;
        };
        call(args: { token: string; inputs: Record<string, unknown> }): Record<string, unknown>;
      },
      project: string,
      stack: string,
      preview: boolean,
    ): Promise<void>;
  };
  output: unknown;
  all: unknown;
  interpolate: unknown;
  concat: unknown;
  jsonParse: unknown;
  jsonStringify: unknown;
}

export interface RpcCall {
  method: string;
  args: Record<string, unknown>;
}

/** Builds `.sst/platform` when missing, exactly as `npm run typecheck:infra` does. */
function ensurePlatform(): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'infra', 'scripts', 'ensure-platform.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`cannot prepare .sst/platform for the infra tests:\n${result.stdout}${result.stderr}`);
  }
}

const arnFor = (type: string, name: string, inputs: Record<string, unknown>, id: string): string => {
  const at = `${MOCK_REGION}:${MOCK_ACCOUNT}`;
  switch (type) {
    case 'aws:cloudwatch/eventBus:EventBus':
      return `arn:aws:events:${at}:event-bus/${name}`;
    case 'aws:cloudwatch/eventRule:EventRule':
      return `arn:aws:events:${at}:rule/${String(inputs.eventBusName ?? 'default')}/${name}`;
    case 'aws:sqs/queue:Queue':
      return `arn:aws:sqs:${at}:${name}`;
    case 'aws:dynamodb/table:Table':
      return `arn:aws:dynamodb:${at}:table/${name}`;
    case 'aws:sns/topic:Topic':
      return `arn:aws:sns:${at}:${name}`;
    case 'aws:kms/key:Key':
      return `arn:aws:kms:${at}:key/${id}`;
    case 'aws:iam/role:Role':
      return `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}`;
    case 'aws:lambda/function:Function':
      return `arn:aws:lambda:${at}:function:${name}`;
    case 'aws:cloudformation/stackSet:StackSet':
      return `arn:aws:cloudformation:${at}:stackset/${name}:${id}`;
    default:
      return `arn:aws:mock:${at}:${type}/${name}`;
  }
};

/** Pulumi's marker for a secret value inside serialized inputs. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

/** Replaces serialized secrets by their values: the tests assert on what AWS would receive. */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (SECRET_SIG in record && 'value' in record) return unwrapSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, unwrapSecrets(inner)]));
  }
  return value;
}

/** The state a real provider would add to the inputs: ids, ARNs, URLs, generated bytes. */
function mockState(type: string, logicalName: string, inputs: Record<string, unknown>) {
  const name = typeof inputs.name === 'string' ? inputs.name : logicalName;
  const id = `${logicalName}-id`;
  const state: Record<string, unknown> = { ...inputs, name, arn: arnFor(type, name, inputs, id) };
  if (type === 'aws:sqs/queue:Queue')
    state.url = `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/${name}`;
  if (type === 'aws:kms/key:Key') state.keyId = id;
  if (type === 'aws:lambda/functionUrl:FunctionUrl')
    state.functionUrl = `https://${logicalName.toLowerCase()}.lambda-url.${MOCK_REGION}.on.aws/`;
  if (type === 'random:index/randomBytes:RandomBytes') {
    state.base64 = Buffer.alloc(Number(inputs.length ?? 32), 7).toString('base64');
    state.hex = Buffer.alloc(Number(inputs.length ?? 32), 7).toString('hex');
  }
  return { id, state };
}

const DATA_SOURCES: Record<string, Record<string, unknown>> = {
  'aws:index/getCallerIdentity:getCallerIdentity': {
    accountId: MOCK_ACCOUNT,
    arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/deployer`,
    userId: 'AIDAMOCK',
    id: MOCK_ACCOUNT,
  },
  'aws:index/getPartition:getPartition': { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' },
  'aws:index/getRegion:getRegion': { name: MOCK_REGION, region: MOCK_REGION, id: MOCK_REGION },
  // What `aws.getRegions` answers for an account with the default regions plus one opted in.
  'aws:index/getRegions:getRegions': { names: [...MOCK_ENABLED_REGIONS], id: 'aws' },
};

/** What `aws.iam.getPolicyDocument` computes (SST's components build some role policies with it). */
function policyDocument(inputs: Record<string, unknown>): Record<string, unknown> {
  const statements = (inputs.statements as Record<string, unknown>[] | undefined) ?? [];
  const json = JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((statement) => ({
      Effect: statement.effect ?? 'Allow',
      Action: statement.actions,
      Resource: statement.resources,
      ...(statement.principals ? { Principal: statement.principals } : {}),
    })),
  });
  return { json, minifiedJson: json, id: 'policy' };
}

/** A handler bundled as SST's build would: the folder SST zips, and the names the entry exports. */
interface Bundle {
  out: string;
  exports: string[];
}

async function bundle(entry: string, out: string): Promise<Bundle> {
  const result = await build({
    entryPoints: [entry],
    outfile: join(out, 'index.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    metafile: true,
    logLevel: 'silent',
  });
  return { out, exports: Object.values(result.metafile.outputs)[0]?.exports ?? [] };
}

/**
 * Each stack run bundles every handler (~8 MB each, seconds of CPU apiece), and the stacks of one
 * test run (the production stack, the stages test's stack) bundle the same entries from the same
 * sources: the first process to need an entry bundles it into the run's folder, the others wait for
 * that bundle and zip the same files. Outside a run's global setup each call bundles on its own.
 */
async function bundleOnce(entry: string, work: string): Promise<Bundle> {
  const folder = inject('infraRecordings');
  if (!folder) return bundle(entry, mkdtempSync(join(work, 'bundle-')));
  const bundles = join(folder, 'bundles');
  mkdirSync(bundles, { recursive: true });
  const out = join(bundles, relative(ROOT, entry).replace(/[^A-Za-z0-9]+/g, '-'));
  const done = `${out}.json`;
  const failed = `${out}.failed`;
  try {
    mkdirSync(out);
  } catch {
    for (const deadline = Date.now() + 240_000; Date.now() < deadline; ) {
      if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as Bundle;
      // The other process's build failed: this one builds it again, to fail with its own error.
      if (existsSync(failed)) return bundle(entry, mkdtempSync(join(work, 'bundle-')));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${entry} was not bundled by another test file within 240 s (${out})`);
  }
  try {
    const bundled = await bundle(entry, out);
    writeFileSync(`${done}.tmp`, JSON.stringify(bundled));
    renameSync(`${done}.tmp`, done);
    return bundled;
  } catch (error) {
    writeFileSync(failed, String(error));
    throw error;
  }
}

/**
 * SST's CLI answers its components over HTTP (`SST_SERVER`). The stub answers the two calls a
 * function needs: the bootstrap bucket, and the build, which really bundles the handler with
 * esbuild so a missing handler or export fails the test as it would fail a deploy.
 */
async function startRpcStub(calls: RpcCall[], work: string, busy: { count: number }): Promise<Server> {
  const answer = async (method: string, args: Record<string, unknown>): Promise<unknown> => {
    calls.push({ method, args });
    if (method === 'Provider.Aws.Bootstrap') {
      return {
        asset: 'sst-asset-mock',
        assetEcrRegistryId: MOCK_ACCOUNT,
        assetEcrUrl: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/sst-asset`,
        state: 'sst-state-mock',
        appsyncHttp: '',
        appsyncRealtime: '',
      };
    }
    if (method === 'Runtime.Build') {
      const handler = String(args.handler);
      const exportName = handler.slice(handler.lastIndexOf('.') + 1);
      const entry = join(ROOT, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`);
      if (!existsSync(entry))
        return { handler, out: work, errors: [`handler file ${entry} does not exist`], sourcemaps: [] };
      const { out, exports } = await bundleOnce(entry, work);
      const errors = exports.includes(exportName) ? [] : [`${entry} does not export ${exportName}`];
      return { handler: `index.${exportName}`, out, errors, sourcemaps: [] };
    }
    throw new Error(`rpc: can't find method ${method}`);
  };

  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const { method, params } = JSON.parse(body) as { method: string; params: [Record<string, unknown>] };
      busy.count++;
      answer(method, params[0])
        .then((result) => response.end(JSON.stringify({ result })))
        .catch((error: unknown) =>
          response.end(JSON.stringify({ error: String((error as Error).message ?? error) })),
        )
        .finally(() => {
          busy.count--;
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export interface SstHarness {
  resources: RecordedResource[];
  rpcCalls: RpcCall[];
  /**
   * Waits until every registration has been recorded: resources register asynchronously, some
   * only after a build. Pass the stack's outputs to wait for them too.
   */
  settle(outputs?: Record<string, unknown>): Promise<void>;
  /** Resources of one Pulumi type, e.g. `aws:sqs/queue:Queue`. */
  ofType(type: string): RecordedResource[];
  /** The one resource with this logical name (throws when absent or ambiguous). */
  named(name: string): RecordedResource;
  close(): void;
}

/**
 * Prepares Pulumi mocks and SST globals for one stage. Call before using anything from infra/.
 */
export async function setupSst(stage: string, options: { production?: boolean } = {}): Promise<SstHarness> {
  ensurePlatform();
  const platformRequire = createRequire(join(PLATFORM, 'package.json'));
  const pulumi = platformRequire('@pulumi/pulumi') as PulumiRuntime;
  const resources: RecordedResource[] = [];
  /** Per logical name, the direct dependencies the program registered it with (URNs end in `::name`). */
  const dependencies = new Map<string, string[]>();
  const rpcCalls: RpcCall[] = [];
  const work = mkdtempSync(join(tmpdir(), 'driftguard-sst-'));
  const busy = { count: 0 };
  const server = await startRpcStub(rpcCalls, work, busy);
  process.env.SST_SERVER = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.SST_AWS_REGION = MOCK_REGION;

  let lastChange = Date.now();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        lastChange = Date.now();
        const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
        const { id, state } = mockState(args.type, args.name, inputs);
        const dependsOn = dependencies.get(args.name) ?? [];
        resources.push({
          type: args.type,
          name: args.name,
          read: Boolean(args.id),
          inputs,
          state,
          dependsOn,
        });
        return { id: args.id || id, state };
      },
      call(args) {
        if (args.token === 'aws:iam/getPolicyDocument:getPolicyDocument') return policyDocument(args.inputs);
        const result = DATA_SOURCES[args.token];
        if (!result) throw new Error(`no mock for data source ${args.token}`);
        return result;
      },
    },
    'driftguard',
    stage,
    false,
  );
  // The mocks see a resource's inputs, not its dependencies: read them off the registration request.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(request: RegisterRequest, callback: unknown): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    dependencies.set(
      request.getName(),
      request.getDependenciesList().map((urn) => urn.split('::').at(-1) ?? urn),
    );
    return register(request, callback);
  };

  const globals = globalThis as Record<string, unknown>;
  Object.assign(globals, {
    $app: {
      name: 'driftguard',
      stage,
      removal: options.production ? 'retain' : 'remove',
      protect: options.production ?? false,
      providers: { aws: { region: MOCK_REGION } },
    },
    $dev: false,
    $cli: {
      command: 'deploy',
      rpc: process.env.SST_SERVER,
      paths: { home: work, root: ROOT, work, platform: PLATFORM },
      state: { version: {} },
    },
    $util: pulumi,
    $output: pulumi.output,
    $apply: pulumi.output,
    $resolve: pulumi.all,
    $interpolate: pulumi.interpolate,
    $concat: pulumi.concat,
    $jsonParse: pulumi.jsonParse,
    $jsonStringify: pulumi.jsonStringify,
    aws: platformRequire('@pulumi/aws'),
  });
  const component = await import(pathToFileURL(join(PLATFORM, 'src', 'components', 'component.ts')).href);
  const link = await import(pathToFileURL(join(PLATFORM, 'src', 'components', 'link.ts')).href);
  Object.assign(globals, {
    $transform: component.$transform,
    $asset: component.$asset,
    $linkable: link.Link.makeLinkable,
  });
  globals.sst = await import(pathToFileURL(join(PLATFORM, 'src', 'components', 'index.ts')).href);

  const settle = async (outputs: Record<string, unknown> = {}) => {
    await Promise.all(
      Object.values(outputs).map(
        (value) =>
          new Promise<void>((resolve) => {
            const output = value as { apply?: (fn: (v: unknown) => void) => unknown };
            if (typeof output?.apply === 'function') output.apply(() => resolve());
            else resolve();
          }),
      ),
    );
    // Registrations chain through applies: wait for a quiet period with no build in flight.
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (busy.count === 0 && Date.now() - lastChange > 1000) return;
    }
  };
  const ofType = (type: string) => resources.filter((resource) => resource.type === type && !resource.read);
  const named = (name: string) => {
    const found = resources.filter((resource) => resource.name === name && !resource.read);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0] as RecordedResource;
  };
  return { resources, rpcCalls, settle, ofType, named, close: () => server.close() };
}

/** infra/index.ts, seen through the two entry points the tests call. */
export interface InfraModule {
  deployDriftguard(stage: string): Promise<Record<string, unknown>>;
  createDriftguard(stage: string, settings: StageSettings): Record<string, unknown>;
  stackOutputs(stack: Record<string, unknown>): Record<string, unknown>;
  /** Loads the random provider createDriftguard needs (deployDriftguard does it itself). */
  loadRandomProvider(): Promise<void>;
}

/**
 * Loads infra/index.ts at run time. Not a static import: infra/ uses SST's globals, whose types
 * only exist under infra/tsconfig.json (`npm run typecheck:infra` checks it), not the root one.
 */
export async function importInfra(): Promise<InfraModule> {
  const infra = (await import(pathToFileURL(join(ROOT, 'infra', 'index.ts')).href)) as InfraModule;
  await infra.loadRandomProvider();
  return infra;
}

/** What a stack run registered, as plain data: the harness's lookups without the live program. */
export type RecordedStack = Pick<SstHarness, 'resources' | 'rpcCalls' | 'ofType' | 'named'>;

function recordedStack(resources: RecordedResource[], rpcCalls: RpcCall[]): RecordedStack {
  const ofType = (type: string) => resources.filter((resource) => resource.type === type && !resource.read);
  const named = (name: string) => {
    const found = resources.filter((resource) => resource.name === name && !resource.read);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0] as RecordedResource;
  };
  return { resources, rpcCalls, ofType, named };
}

/**
 * The production stack of stage `prod` (test/infra/fixtures/stages), as `sst deploy --stage prod`
 * would register it, run once per test run under Pulumi mocks and shared by the test files that only
 * read what it registered (central-stack, deployer-policy, removal-order): each run of the program
 * costs seconds of CPU (SST's components, a real esbuild bundle per function). The first file to
 * ask runs it and writes what was registered to the run's folder; the others wait for that file.
 */
export async function recordedProdStack(): Promise<RecordedStack> {
  const folder = inject('infraRecordings');
  const done = join(folder, 'prod.json');
  const failed = join(folder, 'prod.failed');
  let owner = true;
  try {
    mkdirSync(join(folder, 'prod.lock'));
  } catch {
    owner = false;
  }
  if (owner) {
    process.env.DRIFTGUARD_STAGES_DIR = FIXTURE_STAGES;
    const sst = await setupSst('prod', { production: true });
    try {
      const infra = await importInfra();
      await sst.settle(await infra.deployDriftguard('prod'));
      const recorded = { resources: sst.resources, rpcCalls: sst.rpcCalls };
      writeFileSync(`${done}.tmp`, JSON.stringify(recorded));
      renameSync(`${done}.tmp`, done);
      // What the other files read, so every file asserts on the same (serialized) data.
      const read = JSON.parse(readFileSync(done, 'utf8')) as typeof recorded;
      return recordedStack(read.resources, read.rpcCalls);
    } catch (error) {
      writeFileSync(failed, String((error as Error).stack ?? error));
      throw error;
    } finally {
      sst.close();
    }
  }
  for (const deadline = Date.now() + 240_000; Date.now() < deadline; ) {
    if (existsSync(done)) {
      const read = JSON.parse(readFileSync(done, 'utf8')) as {
        resources: RecordedResource[];
        rpcCalls: RpcCall[];
      };
      return recordedStack(read.resources, read.rpcCalls);
    }
    if (existsSync(failed))
      throw new Error(
        `the prod stack failed under Pulumi mocks in another test file:\n${readFileSync(failed, 'utf8')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the prod stack was not recorded within 240 s (${done})`);
}
