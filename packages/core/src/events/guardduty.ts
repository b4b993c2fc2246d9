import * as z from 'zod/mini';
import { safeParseWithMessages } from '../schema';
import type { Severity } from '../verdict';
import { tooDeep } from './bounds';
import { asArray, isRecord, toInt, toStr } from './ec2-sets';

export const GUARDDUTY_SOURCE = 'aws.guardduty';
export const GUARDDUTY_DETAIL_TYPE = 'GuardDuty Finding';
/** The `eventSource` findings carry in event summaries, audit records and alerts. */
export const GUARDDUTY_EVENT_SOURCE = 'guardduty.amazonaws.com';

/**
 * A finding type, parsed from GuardDuty's naming scheme
 * `ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact`
 * (e.g. `Backdoor:EC2/C&CActivity.B!DNS`). Parts that are absent or do not follow the scheme are
 * undefined; `raw` is always the type as GuardDuty wrote it.
 */
export interface FindingType {
  raw: string;
  /** Backdoor, CryptoCurrency, UnauthorizedAccess, Policy, Recon, Execution, … */
  threatPurpose?: string;
  /** EC2, IAMUser, S3, Kubernetes, Runtime, RDS, Lambda, ECS, EKS, … */
  resourceType?: string;
  /** C&CActivity, InstanceCredentialExfiltration, BitcoinTool, … */
  family?: string;
  /** The detection mechanism: B, OutsideAWS, Custom, Reputation, Tcp, … */
  variant?: string;
  /** DNS in `…!DNS` */
  artifact?: string;
}

export interface FindingNetworkInterface {
  id?: string;
  vpcId?: string;
  subnetId?: string;
  securityGroups: string[];
  privateIp?: string;
  publicIp?: string;
}

export interface FindingInstance {
  instanceId: string;
  instanceType?: string;
  state?: string;
  imageId?: string;
  instanceProfileArn?: string;
  networkInterfaces: FindingNetworkInterface[];
  tags: Record<string, string>;
}

/** The IAM principal whose credentials were used (`resource.accessKeyDetails`). */
export interface FindingAccessKey {
  accessKeyId?: string;
  principalId?: string;
  /** IAMUser, AssumedRole, Root, FederatedUser, … */
  userType?: string;
  /** The user name for IAMUser; the role name for AssumedRole. */
  userName?: string;
}

export interface FindingBucket {
  name: string;
  arn?: string;
  /** Destination (the bucket acted on) or Source. */
  type?: string;
  /** PUBLIC or NOT_PUBLIC, as GuardDuty evaluated it. */
  effectivePermission?: string;
}

/**
 * What the finding is about. `type` is GuardDuty's `resourceType` as written (Instance, AccessKey,
 * S3Bucket, EKSCluster, ECSCluster, Container, RDSDBInstance, Lambda, … or "Unknown"); the detail
 * objects are present when the finding carries them (several may be: an S3 finding names the bucket
 * and the access key that touched it).
 */
export interface FindingResource {
  type: string;
  instance?: FindingInstance;
  accessKey?: FindingAccessKey;
  buckets: FindingBucket[];
  eksCluster?: { name?: string; arn?: string; vpcId?: string };
  kubernetes?: {
    user?: string;
    groups: string[];
    workload?: { name?: string; namespace?: string; type?: string };
  };
  ecsCluster?: { name?: string; arn?: string; taskArn?: string };
  container?: { name?: string; id?: string; image?: string };
  rdsInstance?: {
    dbInstanceIdentifier?: string;
    dbClusterIdentifier?: string;
    engine?: string;
    arn?: string;
  };
  rdsUser?: { user?: string; application?: string; database?: string };
  lambda?: { functionName?: string; functionArn?: string; role?: string };
  /** Runtime Monitoring: the process GuardDuty saw (`service.runtimeDetails.process`). */
  process?: { name?: string; executablePath?: string; pid?: number };
}

/** The other side of the activity: who or what talked to the resource, from where. */
export interface FindingNetwork {
  /** NETWORK_CONNECTION, AWS_API_CALL, DNS_REQUEST, PORT_PROBE, KUBERNETES_API_CALL, RDS_LOGIN_ATTEMPT, … */
  actionType?: string;
  remoteIp?: string;
  remoteCountry?: string;
  remoteOrganization?: string;
  /** The AWS account that called (`awsApiCallAction.remoteAccountDetails.accountId`). */
  remoteAccount?: string;
  remotePort?: number;
  localPort?: number;
  protocol?: string;
  /** INBOUND or OUTBOUND (network connections). */
  direction?: string;
  /** The domain queried (DNS findings). */
  domain?: string;
  /** The API called (AWS API call findings), e.g. s3.amazonaws.com GetObject. */
  api?: string;
  userAgent?: string;
}

/** One GuardDuty finding, normalized: what every decision about it reads. */
export interface Finding {
  kind: 'guardduty';
  id: string;
  arn?: string;
  type: FindingType;
  title?: string;
  description?: string;
  /** GuardDuty's score, 1.0–10.0. */
  severity: number;
  /** 1.0–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical. */
  band: Severity;
  account: string;
  region: string;
  createdAt?: string;
  /** Changes whenever GuardDuty updates the finding (new occurrences): the dedupe key with `id`. */
  updatedAt: string;
  firstSeen?: string;
  lastSeen?: string;
  /** How many times GuardDuty saw the activity. */
  count: number;
  archived: boolean;
  /** A sample finding ("Generate sample findings"): its resources are placeholders. */
  sample: boolean;
  /** TARGET (the resource was acted on) or ACTOR (the resource acted). */
  resourceRole?: string;
  resource: FindingResource;
  network: FindingNetwork;
}

export type NormalizedFinding = { ok: true; finding: Finding } | { ok: false; reason: string };

const SEVERITY_MIN = 0;
const SEVERITY_MAX = 10;

/** GuardDuty's severity bands (the console's Low / Medium / High / Critical). */
export function severityBand(severity: number): Severity {
  if (severity >= 9) return 'critical';
  if (severity >= 7) return 'high';
  if (severity >= 4) return 'medium';
  return 'low';
}

/** The lowest score of each band: the threshold a band name stands for in config. */
export const BAND_FLOOR: Record<Severity, number> = { low: 0, medium: 4, high: 7, critical: 9 };

export function parseFindingType(raw: string): FindingType {
  const match = /^([^:/]+):([^/]+)\/(.+)$/.exec(raw);
  if (!match) return { raw };
  const [, threatPurpose, resourceType, rest] = match as unknown as [string, string, string, string];
  const bang = rest.indexOf('!');
  const name = bang >= 0 ? rest.slice(0, bang) : rest;
  const artifact = bang >= 0 ? rest.slice(bang + 1) : undefined;
  const dot = name.indexOf('.');
  const family = dot >= 0 ? name.slice(0, dot) : name;
  const variant = dot >= 0 ? name.slice(dot + 1) : undefined;
  return {
    raw,
    threatPurpose,
    resourceType,
    ...(family ? { family } : {}),
    ...(variant ? { variant } : {}),
    ...(artifact ? { artifact } : {}),
  };
}

const nonEmpty = z.string().check(z.trim(), z.minLength(1));
const severitySchema = z.union([
  z.number(),
  z.pipe(z.string().check(z.regex(/^\s*\d+(\.\d+)?\s*$/, 'must be a number')), z.transform(Number)),
]);

// Only what a decision relies on is required; everything else is read defensively.
const findingSchema = z.looseObject({
  id: nonEmpty,
  type: nonEmpty,
  severity: severitySchema.check(
    z.refine(
      (value) => Number.isFinite(value) && value >= SEVERITY_MIN && value <= SEVERITY_MAX,
      `must be between ${SEVERITY_MIN} and ${SEVERITY_MAX}`,
    ),
  ),
  accountId: z.optional(nonEmpty),
  region: z.optional(nonEmpty),
  updatedAt: z.optional(nonEmpty),
  createdAt: z.optional(nonEmpty),
});

/** True when `input` looks like a raw finding (GuardDuty JSON export, EventBridge detail, CLI output). */
export function looksLikeFinding(input: Record<string, unknown>): boolean {
  const source = pascalToCamel(input) as Record<string, unknown>;
  // CloudTrail records have neither a `type` nor a `severity`; findings always have both.
  return 'type' in source && 'severity' in source && !('eventID' in source || 'eventSource' in source);
}

/**
 * Accepts an EventBridge event (`detail-type: "GuardDuty Finding"`) or a raw finding (the
 * camelCase JSON GuardDuty exports and EventBridge carries, or the PascalCase of `aws guardduty
 * get-findings` and the SDK) and returns the typed finding, or a reason that says what is wrong.
 * Unknown finding types and resource types still give a finding: nothing GuardDuty says is dropped.
 */
export function normalizeGuardDuty(input: unknown): NormalizedFinding {
  if (!isRecord(input)) return { ok: false, reason: `expected a JSON object, got ${describe(input)}` };
  const deep = tooDeep(input);
  if (deep) return { ok: false, reason: deep };
  return normalizeBoundedGuardDuty(input);
}

/** `normalizeGuardDuty` for input whose depth `tooDeep` has already accepted (see normalizeEvent). */
export function normalizeBoundedGuardDuty(input: unknown): NormalizedFinding {
  if (!isRecord(input)) return { ok: false, reason: `expected a JSON object, got ${describe(input)}` };
  let record: unknown = input;
  let envelope: { account?: string; region?: string; time?: string } = {};
  if ('detail-type' in input || 'detail' in input) {
    const detailType = input['detail-type'];
    if (detailType !== GUARDDUTY_DETAIL_TYPE) {
      return { ok: false, reason: `unsupported EventBridge detail-type ${JSON.stringify(detailType)}` };
    }
    record = input.detail;
    envelope = { account: toStr(input.account), region: toStr(input.region), time: toStr(input.time) };
    if (!isRecord(record)) return { ok: false, reason: 'EventBridge event has no object "detail"' };
  }
  const camel = pascalToCamel(record);
  const parsed = safeParseWithMessages(findingSchema, camel);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(finding)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason: `not a GuardDuty finding (${where})` };
  }
  const data = parsed.data;
  const account = data.accountId ?? envelope.account;
  if (!account) return { ok: false, reason: 'GuardDuty finding names no account (accountId)' };
  const region = data.region ?? envelope.region;
  if (!region) return { ok: false, reason: 'GuardDuty finding names no region' };
  const updatedAt = data.updatedAt ?? data.createdAt ?? envelope.time;
  if (!updatedAt || Number.isNaN(Date.parse(updatedAt))) {
    return { ok: false, reason: 'GuardDuty finding has no valid updatedAt (needed to tell updates apart)' };
  }
  const service = record_(data.service);
  const additional = record_(service.additionalInfo);
  const severity = data.severity;
  const finding: Finding = {
    kind: 'guardduty',
    id: data.id,
    type: parseFindingType(data.type),
    severity,
    band: severityBand(severity),
    account,
    region,
    updatedAt,
    count: Math.max(1, toInt(service.count) ?? 1),
    archived: service.archived === true || service.archived === 'true',
    sample: isSample(additional),
    resource: resourceOf(record_(data.resource), service),
    network: networkOf(record_(service.action)),
  };
  const set = <K extends keyof Finding>(key: K, value: Finding[K] | undefined) => {
    if (value !== undefined) finding[key] = value;
  };
  set('arn', toStr(data.arn));
  set('title', toStr(data.title));
  set('description', toStr(data.description));
  set('createdAt', data.createdAt);
  set('firstSeen', toStr(service.eventFirstSeen));
  set('lastSeen', toStr(service.eventLastSeen));
  set('resourceRole', toStr(service.resourceRole));
  return { ok: true, finding };
}

/** The longest `additionalInfo.value` read for the sample marker (GuardDuty's are a few dozen bytes). */
const MAX_ADDITIONAL_INFO_CHARS = 64 * 1024;

const truthy = (value: unknown) => value === true || value === 'true';

/**
 * Whether a finding is one of GuardDuty's sample findings ("Generate sample findings",
 * CreateSampleFindings). EventBridge carries `service.additionalInfo.sample: true`; the GuardDuty
 * API and `aws guardduty get-findings` carry it inside a JSON string,
 * `service.additionalInfo.value = "{\"sample\":true}"` (`Type: "default"`). The string is
 * untrusted: read only up to a bounded size, and text that is not JSON is simply not a marker.
 */
export function isSample(additionalInfo: Record<string, unknown>): boolean {
  if (truthy(additionalInfo.sample)) return true;
  const value = additionalInfo.value;
  if (typeof value !== 'string' || value.length > MAX_ADDITIONAL_INFO_CHARS) return false;
  try {
    const parsed: unknown = JSON.parse(value);
    return isRecord(parsed) && truthy(parsed.sample);
  } catch {
    return false;
  }
}

function record_(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** Keeps only the properties that are defined, so findings compare and serialize cleanly. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function nonEmptyObject<T extends Record<string, unknown>>(value: T): T | undefined {
  const clean = defined(value);
  return Object.values(clean).some((v) => (Array.isArray(v) ? v.length > 0 : true)) ? clean : undefined;
}

function tagsOf(value: unknown): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const tag of asArray(value as unknown[]).filter(isRecord)) {
    const key = toStr(tag.key);
    if (key) tags[key] = typeof tag.value === 'string' ? tag.value : '';
  }
  return tags;
}

function instanceOf(details: Record<string, unknown>): FindingInstance | undefined {
  const instanceId = toStr(details.instanceId);
  if (!instanceId) return undefined;
  const networkInterfaces = asArray(details.networkInterfaces as unknown[])
    .filter(isRecord)
    .map((eni) =>
      defined({
        id: toStr(eni.networkInterfaceId),
        vpcId: toStr(eni.vpcId),
        subnetId: toStr(eni.subnetId),
        securityGroups: asArray(eni.securityGroups as unknown[])
          .filter(isRecord)
          .map((group) => toStr(group.groupId))
          .filter((id): id is string => id !== undefined),
        privateIp: toStr(eni.privateIpAddress),
        publicIp: toStr(eni.publicIp),
      }),
    );
  return defined({
    instanceId,
    instanceType: toStr(details.instanceType),
    state: toStr(details.instanceState),
    imageId: toStr(details.imageId),
    instanceProfileArn: toStr(record_(details.iamInstanceProfile).arn),
    networkInterfaces,
    tags: tagsOf(details.tags),
  });
}

function resourceOf(resource: Record<string, unknown>, service: Record<string, unknown>): FindingResource {
  const result: FindingResource = {
    type: toStr(resource.resourceType) ?? 'Unknown',
    buckets: asArray(resource.s3BucketDetails as unknown[])
      .filter(isRecord)
      .flatMap((bucket) => {
        const name = toStr(bucket.name) ?? toStr(bucket.arn)?.replace(/^arn:[^:]+:s3:::/, '');
        if (!name) return [];
        const access = record_(bucket.publicAccess);
        return [
          defined({
            name,
            arn: toStr(bucket.arn),
            type: toStr(bucket.type),
            effectivePermission: toStr(access.effectivePermission),
          }),
        ];
      }),
  };
  const set = <K extends keyof FindingResource>(key: K, value: FindingResource[K] | undefined) => {
    if (value !== undefined) result[key] = value;
  };
  set('instance', instanceOf(record_(resource.instanceDetails)));
  const key = record_(resource.accessKeyDetails);
  set(
    'accessKey',
    nonEmptyObject({
      accessKeyId: toStr(key.accessKeyId),
      principalId: toStr(key.principalId),
      userType: toStr(key.userType),
      userName: toStr(key.userName),
    }),
  );
  const eks = record_(resource.eksClusterDetails);
  set('eksCluster', nonEmptyObject({ name: toStr(eks.name), arn: toStr(eks.arn), vpcId: toStr(eks.vpcId) }));
  const kubernetes = record_(resource.kubernetesDetails);
  const k8sUser = record_(kubernetes.kubernetesUserDetails);
  const workload = record_(kubernetes.kubernetesWorkloadDetails);
  set(
    'kubernetes',
    isRecord(resource.kubernetesDetails)
      ? defined({
          user: toStr(k8sUser.username),
          groups: asArray(k8sUser.groups as unknown[]).filter((g): g is string => typeof g === 'string'),
          workload: nonEmptyObject({
            name: toStr(workload.name),
            namespace: toStr(workload.namespace),
            type: toStr(workload.type),
          }),
        })
      : undefined,
  );
  const ecs = record_(resource.ecsClusterDetails);
  set(
    'ecsCluster',
    nonEmptyObject({
      name: toStr(ecs.name),
      arn: toStr(ecs.arn),
      taskArn: toStr(record_(ecs.taskDetails).arn),
    }),
  );
  const container = record_(resource.containerDetails);
  set(
    'container',
    nonEmptyObject({ name: toStr(container.name), id: toStr(container.id), image: toStr(container.image) }),
  );
  const rds = record_(resource.rdsDbInstanceDetails);
  set(
    'rdsInstance',
    nonEmptyObject({
      dbInstanceIdentifier: toStr(rds.dbInstanceIdentifier),
      dbClusterIdentifier: toStr(rds.dbClusterIdentifier),
      engine: toStr(rds.engine),
      arn: toStr(rds.dbInstanceArn),
    }),
  );
  const rdsUser = record_(resource.rdsDbUserDetails);
  set(
    'rdsUser',
    nonEmptyObject({
      user: toStr(rdsUser.user),
      application: toStr(rdsUser.application),
      database: toStr(rdsUser.database),
    }),
  );
  const lambda = record_(resource.lambdaDetails);
  set(
    'lambda',
    nonEmptyObject({
      functionName: toStr(lambda.functionName),
      functionArn: toStr(lambda.functionArn),
      role: toStr(lambda.role),
    }),
  );
  const process = record_(record_(service.runtimeDetails).process);
  set(
    'process',
    nonEmptyObject({
      name: toStr(process.name),
      executablePath: toStr(process.executablePath),
      pid: toInt(process.pid),
    }),
  );
  return result;
}

function remoteOf(details: Record<string, unknown>): Partial<FindingNetwork> {
  const organization = record_(details.organization);
  return defined({
    remoteIp: toStr(details.ipAddressV4) ?? toStr(details.ipAddressV6),
    remoteCountry: toStr(record_(details.country).countryName) ?? toStr(record_(details.country).countryCode),
    remoteOrganization: toStr(organization.asnOrg) ?? toStr(organization.org) ?? toStr(organization.isp),
  });
}

function userAgentOf(value: unknown): string | undefined {
  return toStr(value) ?? toStr(record_(value).fullUserAgent) ?? toStr(record_(value).userAgent);
}

function networkOf(action: Record<string, unknown>): FindingNetwork {
  const actionType = toStr(action.actionType);
  const connection = record_(action.networkConnectionAction);
  const api = record_(action.awsApiCallAction);
  const dns = record_(action.dnsRequestAction);
  const probe = record_(asArray(record_(action.portProbeAction).portProbeDetails as unknown[])[0]);
  const kubernetes = record_(action.kubernetesApiCallAction);
  const rdsLogin = record_(action.rdsLoginAttemptAction);
  const remote =
    [connection, api, probe, kubernetes, rdsLogin]
      .map((part) => remoteOf(record_(part.remoteIpDetails)))
      .find((details) => details.remoteIp !== undefined) ?? {};
  const apiName = toStr(api.api);
  const apiService = toStr(api.serviceName);
  return defined({
    actionType,
    ...remote,
    remoteAccount: toStr(record_(api.remoteAccountDetails).accountId),
    remotePort: toInt(record_(connection.remotePortDetails).port),
    localPort:
      toInt(record_(connection.localPortDetails).port) ?? toInt(record_(probe.localPortDetails).port),
    protocol: toStr(connection.protocol) ?? toStr(dns.protocol),
    direction: toStr(connection.connectionDirection),
    domain: toStr(dns.domain),
    api: apiName ? (apiService ? `${apiService} ${apiName}` : apiName) : toStr(kubernetes.requestUri),
    userAgent: userAgentOf(api.userAgent) ?? userAgentOf(kubernetes.userAgent),
  });
}

/**
 * The SDK and `aws guardduty get-findings` name fields in PascalCase (`AccountId`, `Resource`,
 * `InstanceDetails`); EventBridge and GuardDuty's exports in camelCase. Lower-cases the first
 * letter of every key of a PascalCase document, recursively; camelCase documents are returned as is.
 */
export function pascalToCamel(value: unknown): unknown {
  if (!isRecord(value) || !('Id' in value || 'Type' in value || 'Severity' in value)) return value;
  const convert = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(convert);
    if (!isRecord(node)) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, inner]) => [
        /^[A-Z][a-z0-9]/.test(key) ? `${key[0]?.toLowerCase()}${key.slice(1)}` : key,
        convert(inner),
      ]),
    );
  };
  return convert(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
