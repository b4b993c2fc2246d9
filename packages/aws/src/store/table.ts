import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

/**
 * One DynamoDB table holds all of driftguard's state (single-table design). Every item has a
 * partition key `pk`, a sort key `sk` and, when it should disappear, `expiresAt` (epoch seconds,
 * the table's TTL attribute). Key prefixes, one per kind of item:
 *
 *   DEDUPE#<eventId>                     / EVENT              processed-event marker (TTL)
 *   HIGHWATER#<account>#<region>#<id>    / <aspect>           newest eventTime that set a document (TTL)
 *   AUDIT#<yyyy-mm-dd>                   / <time>#<eventId>   audit record (TTL = retention)
 *   SNAPSHOT#<account>#<region>#<id>     / <kind>             last-known-good document
 *   TICKET#<rule>#<resource>             / <channel>          open ticket per (rule, resource)
 *   EXEMPTION#<account>                  / <exemptionId>      break-glass exemption (TTL = expiry + retention)
 *   EXEMPTION#<account>#<exemptionId>    / TRIGGER#<eventId>  reference to a change an exemption let through
 *   EXEMPTION#DUE                        / <end>#<acct>#<id>  exemption awaiting its expiry re-check
 *   EXEMPTION#REQUEST                    / <requestId>        break-glass request awaiting its approval
 *
 * The EXEMPTION# items live in their own table when deployed (only driftguard's functions may
 * write it: infra/state.ts); locally one table holds everything.
 *   BREAKER#<rule>#<resource>            / STATE              circuit-breaker counters
 *   NOTIFIED#<eventId>#<rule>            / <channel>          one notification per channel (TTL)
 *   FINDING#<findingId>                  / STATE              last GuardDuty version acted on (TTL)
 *   ISOLATION#<account>#<region>#<id>    / STATE              groups an isolated instance had
 *   SWEEP#<runId>                        / RUN                a sweep run's plan and counters (TTL)
 *   SWEEP#<runId>                        / UNIT#<a>/<r>/<kind> a unit counted once in its run (TTL)
 *   SWEEP#LATEST                         / RUN                the run workers are working on
 *
 * The key builders below are the only place these formats are written.
 */
export const TABLE_KEYS = { partition: 'pk', sort: 'sk', ttl: 'expiresAt' } as const;

export const keys = {
  dedupe: (eventId: string) => ({ pk: `DEDUPE#${eventId}`, sk: 'EVENT' }),
  highWater: (account: string, region: string, resourceId: string, aspect: string) => ({
    pk: `HIGHWATER#${account}#${region}#${resourceId}`,
    sk: aspect,
  }),
  audit: (eventTime: string, eventId: string) => ({
    pk: `AUDIT#${eventTime.slice(0, 10)}`,
    sk: `${eventTime}#${eventId}`,
  }),
  snapshot: (account: string, region: string, resourceId: string, kind: string) => ({
    pk: `SNAPSHOT#${account}#${region}#${resourceId}`,
    sk: kind,
  }),
  ticket: (rule: string, resource: string, channel: string) => ({
    pk: `TICKET#${rule}#${resource}`,
    sk: channel,
  }),
  exemption: (account: string, exemptionId: string) => ({ pk: `EXEMPTION#${account}`, sk: exemptionId }),
  exemptionTrigger: (account: string, exemptionId: string, eventId: string) => ({
    pk: `EXEMPTION#${account}#${exemptionId}`,
    sk: `TRIGGER#${eventId}`,
  }),
  exemptionRequest: (requestId: string) => ({ pk: 'EXEMPTION#REQUEST', sk: requestId }),
  /** Every exemption not yet re-checked, ordered by when it ends (expiry or revocation). */
  exemptionDue: (endsAt: string, account: string, exemptionId: string) => ({
    pk: 'EXEMPTION#DUE',
    sk: `${endsAt}#${account}#${exemptionId}`,
  }),
  breaker: (rule: string, resource: string) => ({ pk: `BREAKER#${rule}#${resource}`, sk: 'STATE' }),
  notified: (eventId: string, rule: string, channel: string) => ({
    pk: `NOTIFIED#${eventId}#${rule}`,
    sk: channel,
  }),
  finding: (findingId: string) => ({ pk: `FINDING#${findingId}`, sk: 'STATE' }),
  isolation: (account: string, region: string, instanceId: string) => ({
    pk: `ISOLATION#${account}#${region}#${instanceId}`,
    sk: 'STATE',
  }),
  sweepRun: (runId: string) => ({ pk: `SWEEP#${runId}`, sk: 'RUN' }),
  sweepUnit: (runId: string, unitKey: string) => ({ pk: `SWEEP#${runId}`, sk: `UNIT#${unitKey}` }),
  sweepLatest: () => ({ pk: 'SWEEP#LATEST', sk: 'RUN' }),
};

/** Epoch seconds `ms` milliseconds from `nowMs`, for the TTL attribute. */
export function expiresAt(nowMs: number, ms: number): number {
  return Math.floor((nowMs + ms) / 1000);
}

/**
 * Creates the state table when it does not exist (local runs and tests against moto). In AWS the
 * table is created by the SST stack (infra/), never by the function.
 */
export async function ensureStateTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.partition, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sort, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEYS.partition, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' },
        ],
      }),
    );
    await ddb.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttl, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
