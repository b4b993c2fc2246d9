/**
 * Reproduces two moto 5.2.1 DynamoDB behaviours that real DynamoDB does not have, and that made a
 * sweep run's count come out one short under concurrent workers (test/integration/sweep-runs.test.ts):
 *
 * 1. `rollback`: TransactWriteItems deep-copies every table it touches before it starts and, when the
 *    transaction is cancelled (a condition failed), puts the copy back (moto/dynamodb/models/
 *    __init__.py, transact_write_items): writes other requests committed in between are lost,
 *    although DynamoDB acknowledged them. Here: units counted concurrently by transactions while
 *    duplicates of already-counted units are cancelled by their condition.
 * 2. `conditional-create`: two conditional updates creating the same item at the same moment
 *    (`attribute_not_exists(writer)`) can both succeed: moto's server is threaded and checks the
 *    condition and writes without a lock.
 *
 *     npx tsx test/support/repro-moto-transaction-rollback.ts
 *
 * Prints what was lost; both are races, so the numbers vary from run to run (and can be zero).
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { startMoto } from '../../packages/cli/src/moto';

const moto = await startMoto();
const raw = new DynamoDBClient({
  endpoint: moto.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'repro', secretAccessKey: 'repro' },
});
const ddb = DynamoDBDocumentClient.from(raw);
const TableName = 'repro';
await raw.send(
  new CreateTableCommand({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
  }),
);
await ddb.send(new PutCommand({ TableName, Item: { pk: 'RUN', sk: 'RUN', done: 0 } }));
// A table with some data in it, as a used state table has: the copy takes a little while.
for (let i = 0; i < 300; i++)
  await ddb.send(new PutCommand({ TableName, Item: { pk: 'FILL', sk: String(i), pad: 'x'.repeat(200) } }));

/** One unit counted: its marker (once only) and the run's counter, in one transaction. */
const count = (unit: number) =>
  ddb
    .send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName,
              Item: { pk: 'RUN', sk: `UNIT#${unit}` },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName,
              Key: { pk: 'RUN', sk: 'RUN' },
              UpdateExpression: 'ADD done :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    )
    .then(
      () => 'committed',
      (error: Error) => error.name,
    );

const UNITS = 200;
for (let unit = 0; unit < 20; unit++) await count(unit);
const outcomes: Promise<string>[] = [];
for (let unit = 20; unit < UNITS; unit++) {
  outcomes.push(count(unit));
  // A duplicate of an already counted unit: DynamoDB cancels it and changes nothing.
  if (unit % 4 === 0) outcomes.push(count(unit % 20).then((outcome) => `duplicate ${outcome}`));
}
const tally: Record<string, number> = {};
for (const outcome of await Promise.all(outcomes)) tally[outcome] = (tally[outcome] ?? 0) + 1;
const { Item } = await ddb.send(
  new GetCommand({ TableName, Key: { pk: 'RUN', sk: 'RUN' }, ConsistentRead: true }),
);
console.log(
  JSON.stringify({ case: 'rollback', outcomes: tally, committedUnits: UNITS, counted: Item?.done }),
);

let bothCreated = 0;
const PAIRS = 200;
for (let pair = 0; pair < PAIRS; pair++) {
  const create = (writer: string) =>
    ddb
      .send(
        new UpdateCommand({
          TableName,
          Key: { pk: 'PAIR', sk: String(pair) },
          UpdateExpression: 'SET writer = :writer',
          ConditionExpression: 'attribute_not_exists(writer)',
          ExpressionAttributeValues: { ':writer': writer },
        }),
      )
      .then(
        () => true,
        () => false,
      );
  const [a, b] = await Promise.all([create('a'), create('b')]);
  if (a && b) bothCreated += 1;
}
console.log(JSON.stringify({ case: 'conditional-create', pairs: PAIRS, bothSucceeded: bothCreated }));
await moto.stop();
