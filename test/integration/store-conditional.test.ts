import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ensureStateTable, isConditionFailure, stateDocumentClient } from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, unique } from '../support/aws';

/** What DynamoDB (moto) answers, read through the one helper every store uses. */
async function failureOf(write: () => Promise<unknown>): Promise<unknown> {
  try {
    await write();
  } catch (error) {
    return error;
  }
  throw new Error('the write was expected to fail');
}

describe('the store layer against DynamoDB (moto)', () => {
  let table: string;
  const ddb = () => stateDocumentClient(dynamoClient());
  beforeAll(async () => {
    table = unique('driftguard-state');
    await ensureStateTable(dynamoClient(), table);
  });

  const claim = (pk: string) =>
    new PutCommand({
      TableName: table,
      Item: { pk, sk: 'CLAIM' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });

  it('recognises a refused conditional put', async () => {
    const pk = unique('COND');
    await ddb().send(claim(pk));
    expect(isConditionFailure(await failureOf(() => ddb().send(claim(pk))))).toBe(true);
  });

  it('recognises a transaction cancelled because one of its conditions failed', async () => {
    const taken = unique('COND');
    await ddb().send(claim(taken));
    const error = await failureOf(() =>
      ddb().send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: { pk: unique('COND'), sk: 'CLAIM' } } },
            {
              Put: {
                TableName: table,
                Item: { pk: taken, sk: 'CLAIM' },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      ),
    );
    expect((error as Error).name).toBe('TransactionCanceledException');
    expect(isConditionFailure(error)).toBe(true);
  });

  it('does not mistake other failures for a lost race', async () => {
    const error = await failureOf(() =>
      ddb().send(
        new PutCommand({
          TableName: table,
          Item: { pk: unique('COND'), sk: 'CLAIM' },
          ConditionExpression: 'attribute_not_exists(',
        }),
      ),
    );
    expect(isConditionFailure(error)).toBe(false);
    expect(isConditionFailure(new Error('ConditionalCheckFailed'))).toBe(false);
  });

  it('writes a record whose optional fields are absent instead of failing the event', async () => {
    const key = { pk: unique('OPTIONAL'), sk: 'RECORD' };
    await ddb().send(new PutCommand({ TableName: table, Item: { ...key, note: undefined, kept: 'yes' } }));
    const { Item } = await ddb().send(new GetCommand({ TableName: table, Key: key }));
    expect(Item).toEqual({ ...key, kept: 'yes' });
  });
});
