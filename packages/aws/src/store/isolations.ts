import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type ClientSettings, clientConfig } from '../clients';
import { stateDocumentClient } from './document-client';
import { keys } from './table';

/** The security groups an isolated instance had, per network interface, so a human can put them back. */
export interface IsolationRecord {
  account: string;
  region: string;
  instanceId: string;
  vpcId: string;
  quarantineGroupId: string;
  interfaces: { networkInterfaceId: string; groups: string[] }[];
  findingId: string;
  findingType: string;
  isolatedAt: string;
  status: 'isolated' | 'restored';
  restoredAt?: string;
}

export interface IsolationStore {
  get(account: string, region: string, instanceId: string): Promise<IsolationRecord | undefined>;
  put(record: IsolationRecord): Promise<void>;
}

/** Isolation records never expire: the previous groups are needed until a human restores them. */
export function dynamoIsolationStore(ddb: DynamoDBDocumentClient, tableName: string): IsolationStore {
  return {
    async get(account, region, instanceId) {
      const { Item } = await ddb.send(
        new GetCommand({
          TableName: tableName,
          Key: keys.isolation(account, region, instanceId),
          ConsistentRead: true,
        }),
      );
      return Item ? (Item.isolation as IsolationRecord) : undefined;
    },
    async put(record) {
      await ddb.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...keys.isolation(record.account, record.region, record.instanceId),
            // DynamoDB rejects undefined attribute values.
            isolation: JSON.parse(JSON.stringify(record)),
          },
        }),
      );
    },
  };
}

/** The isolation records of a state table, with its own client (the CLI's restore-isolation). */
export function isolationStoreForTable(tableName: string, settings: ClientSettings): IsolationStore {
  return dynamoIsolationStore(stateDocumentClient(new DynamoDBClient(clientConfig(settings))), tableName);
}

/** In-memory records for tests and runs without a state table. */
export function memoryIsolationStore(): IsolationStore {
  const records = new Map<string, IsolationRecord>();
  const key = (account: string, region: string, id: string) =>
    JSON.stringify(keys.isolation(account, region, id));
  return {
    async get(account, region, instanceId) {
      const record = records.get(key(account, region, instanceId));
      return record ? structuredClone(record) : undefined;
    },
    async put(record) {
      records.set(key(record.account, record.region, record.instanceId), structuredClone(record));
    },
  };
}
