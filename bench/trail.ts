/**
 * A synthetic organization trail for the replay and evaluator rows: CloudTrail log files as
 * CloudTrail writes them (`{"Records": [...]}`, gzip), in the mix an organization trail really has:
 * mostly calls no guardrail watches (Describe*, Get*, AssumeRole…) and a few watched ones, taken
 * from the evaluator fixtures.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const CASES = fileURLToPath(new URL('../test/fixtures/cases/', import.meta.url));

/** The raw CloudTrail record of every evaluator fixture (the watched calls). */
export function watchedRecords(): Record<string, unknown>[] {
  return readdirSync(CASES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      readdirSync(join(CASES, dir.name)).map((file) => {
        const event = (
          JSON.parse(readFileSync(join(CASES, dir.name, file), 'utf8')) as { event: Record<string, unknown> }
        ).event;
        return (event.detail ?? event) as Record<string, unknown>;
      }),
    );
}

const UNWATCHED: [string, string, Record<string, unknown>][] = [
  [
    'ec2.amazonaws.com',
    'DescribeInstances',
    {
      instancesSet: {},
      filterSet: { items: [{ name: 'tag:team', valueSet: { items: [{ value: 'payments' }] } }] },
    },
  ],
  [
    's3.amazonaws.com',
    'GetObject',
    {
      bucketName: 'app-assets-prod',
      key: 'static/js/main.4f2a.js',
      Host: 'app-assets-prod.s3.eu-west-1.amazonaws.com',
    },
  ],
  [
    'sts.amazonaws.com',
    'AssumeRole',
    {
      roleArn: 'arn:aws:iam::111122223333:role/ci-deployer',
      roleSessionName: 'gh-actions-8812',
      durationSeconds: 3600,
    },
  ],
  [
    'kms.amazonaws.com',
    'Decrypt',
    {
      encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      encryptionContext: {
        'aws:lambda:FunctionArn': 'arn:aws:lambda:eu-west-1:111122223333:function:orders',
      },
    },
  ],
  [
    'ec2.amazonaws.com',
    'CreateTags',
    {
      resourcesSet: { items: [{ resourceId: 'i-0a1b2c3d4e5f60718' }] },
      tagSet: { items: [{ key: 'owner', value: 'team-payments' }] },
    },
  ],
  [
    'logs.amazonaws.com',
    'CreateLogStream',
    { logGroupName: '/aws/lambda/orders', logStreamName: '2024/03/01/[$LATEST]8f2c' },
  ],
];

function unwatchedRecord(index: number): Record<string, unknown> {
  const [eventSource, eventName, requestParameters] = UNWATCHED[
    index % UNWATCHED.length
  ] as (typeof UNWATCHED)[number];
  const account = `1111222233${String(30 + (index % 50)).padStart(2, '0')}`;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEROLEID:session-${index % 97}`,
      arn: `arn:aws:sts::${account}:assumed-role/app-role/session-${index % 97}`,
      accountId: account,
      accessKeyId: 'ASIAEXAMPLEKEYID0001',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEROLEID',
          arn: `arn:aws:iam::${account}:role/app-role`,
          accountId: account,
          userName: 'app-role',
        },
        attributes: { creationDate: '2024-03-01T09:00:00Z', mfaAuthenticated: 'false' },
      },
    },
    eventTime: `2024-03-01T10:${String(index % 60).padStart(2, '0')}:00Z`,
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '10.20.30.40',
    userAgent: 'aws-sdk-js/3.600.0 ua/2.1 os/linux lang/js md/nodejs#20.11.0 api/ec2#3.600.0',
    requestParameters,
    responseElements: null,
    requestID: `req-${index}`,
    eventID: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    readOnly: eventName.startsWith('Describe') || eventName.startsWith('Get'),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  };
}

/** `records` records, `watchedShare` of them watched, in the order a trail interleaves them. */
export function trailRecords(records: number, watchedShare: number): Record<string, unknown>[] {
  const watched = watchedRecords();
  const every = Math.max(1, Math.round(1 / watchedShare));
  return Array.from({ length: records }, (_, index) =>
    index % every === 0
      ? (watched[(index / every) % watched.length] as Record<string, unknown>)
      : unwatchedRecord(index),
  );
}

/** Writes the trail as `files` gzip log files under `dir`; returns the records per file. */
export function writeTrail(dir: string, records: Record<string, unknown>[], files: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const perFile = Math.ceil(records.length / files);
  for (let file = 0; file < files; file++) {
    const slice = records.slice(file * perFile, (file + 1) * perFile);
    const name = `111122223333_CloudTrail_eu-west-1_20240301T10${String(file).padStart(4, '0')}Z_bench.json.gz`;
    writeFileSync(join(dir, name), gzipSync(JSON.stringify({ Records: slice })));
  }
}
