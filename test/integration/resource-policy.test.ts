/**
 * resource-policy through the real evaluate handler against moto: the call that opens a queue,
 * topic, key, repository or secret is made for real, its CloudTrail record built as the service
 * writes it, and what a user would notice is asserted (the live policy read back, the alert).
 * Cases are data: the policy before, the policy the call sets, the Sids left afterwards.
 */
import {
  CreateRepositoryCommand,
  ECRClient,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import { CreateKeyCommand, GetKeyPolicyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  SetTopicAttributesCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type Describer,
  ecrRepositoryPoliciesDescriber,
  kmsKeyPoliciesDescriber,
  secretPoliciesDescriber,
  snsTopicPoliciesDescriber,
  sqsQueuePoliciesDescriber,
} from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { cloudTrailEvent } from '../../packages/cli/src/simulate/cloudtrail';
import { clientOptions, HOME_ACCOUNT, motoEndpoint, sqsClient, unique } from '../support/aws';
import { type EvaluateHandlerOnMoto, evaluateHandlerOnMoto } from '../support/evaluate-handler';
import { MEMBER_ACCOUNT, OUTSIDE_ACCOUNT } from '../support/network';
import { sweptInHomeAccount } from '../support/sweep';

const REGION = 'us-east-1';
const where = { account: HOME_ACCOUNT, region: REGION };
type Statement = Record<string, unknown>;

const policy = (statements: Statement[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const ORG_READER: Statement = {
  Sid: 'OrgReader',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${MEMBER_ACCOUNT}:root` },
  Action: '*',
  Resource: '*',
};
const ANYONE: Statement = { Sid: 'Anyone', Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' };
const VENDOR: Statement = {
  Sid: 'Vendor',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${OUTSIDE_ACCOUNT}:root` },
  Action: '*',
  Resource: '*',
};
const ORG_PINNED: Statement = {
  Sid: 'OrgPinned',
  Effect: 'Allow',
  Principal: '*',
  Action: '*',
  Resource: '*',
  Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
};

/** The statement AWS's default key policy gives the key's own account: it administers the key. */
const KEY_ADMINS: Statement = {
  Sid: 'Enable IAM User Permissions',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${HOME_ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};

interface Case {
  name: string;
  set: Statement[];
  /** Sids of the live policy afterwards; [] = no policy left. */
  after: string[];
  severity?: 'critical' | 'high';
}

const CASES: Case[] = [
  {
    name: 'a public statement beside an organization grant: exactly the public one is removed',
    set: [ORG_READER, ANYONE],
    after: ['OrgReader'],
    severity: 'critical',
  },
  {
    name: 'an outside account without a pin: removed, and with it the last statement (no policy left)',
    set: [VENDOR],
    after: [],
    severity: 'high',
  },
  {
    name: 'anyone pinned to the organization by aws:PrincipalOrgID: compliant, untouched',
    set: [ORG_PINNED],
    after: ['OrgPinned'],
  },
];

describe.skipIf(!motoEndpoint)('resource-policy through the evaluate handler against moto', () => {
  let handler: EvaluateHandlerOnMoto;
  let sqs: SQSClient;
  let sns: SNSClient;
  let ecr: ECRClient;
  let kms: KMSClient;
  let secrets: SecretsManagerClient;

  const run = (event: Record<string, unknown>) => handler.run(event);
  const alerts = () => handler.alerts();

  beforeAll(async () => {
    sqs = sqsClient(REGION);
    sns = new SNSClient(clientOptions(REGION));
    ecr = new ECRClient(clientOptions(REGION));
    kms = new KMSClient(clientOptions(REGION));
    secrets = new SecretsManagerClient(clientOptions(REGION));
    handler = await evaluateHandlerOnMoto({
      config: { organizationId: 'o-a1b2c3d4e5', trustedAccounts: [MEMBER_ACCOUNT] },
    });
  });

  /** One service: a fresh resource, the call that sets its policy (made for real), its record, the live Sids. */
  interface Service {
    name: string;
    create(): Promise<{ id: string; label: string }>;
    setPolicy(id: string, text: string): Promise<Record<string, unknown>>;
    live(id: string): Promise<string[]>;
    /** The Sids a resource has once no statement remains (SNS puts its default policy back). */
    emptied: string[];
    /** Statements every policy of this service starts with (KMS: the owner's administration). */
    baseline?: Statement[];
    describer: Describer;
  }
  const sids = (text: string | undefined): string[] =>
    text ? JSON.parse(text).Statement.map((statement: Statement) => statement.Sid) : [];

  const SERVICES: Service[] = [
    {
      name: 'SQS queue policy (SetQueueAttributes)',
      async create() {
        const label = unique('orders');
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: label }));
        return { id: QueueUrl as string, label };
      },
      async setPolicy(QueueUrl, text) {
        const attributes = { Policy: text };
        await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
        return cloudTrailEvent({
          ...where,
          eventSource: 'sqs.amazonaws.com',
          eventName: 'SetQueueAttributes',
          requestParameters: { queueUrl: QueueUrl, attributes },
          responseElements: null,
        });
      },
      async live(QueueUrl) {
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }),
        );
        return sids(Attributes?.Policy);
      },
      emptied: [],
      describer: sqsQueuePoliciesDescriber,
    },
    {
      name: 'SNS topic policy (SetTopicAttributes)',
      async create() {
        const label = unique('order-events');
        const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: label }));
        return { id: TopicArn as string, label };
      },
      async setPolicy(TopicArn, text) {
        const request = { topicArn: TopicArn, attributeName: 'Policy', attributeValue: text };
        await sns.send(
          new SetTopicAttributesCommand({ TopicArn, AttributeName: 'Policy', AttributeValue: text }),
        );
        return cloudTrailEvent({
          ...where,
          eventSource: 'sns.amazonaws.com',
          eventName: 'SetTopicAttributes',
          requestParameters: request,
          responseElements: null,
        });
      },
      async live(TopicArn) {
        return sids((await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes?.Policy);
      },
      emptied: ['__default_statement_ID'],
      describer: snsTopicPoliciesDescriber,
    },
    {
      name: 'KMS key policy (PutKeyPolicy)',
      async create() {
        const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: unique('orders-key') }));
        return { id: KeyMetadata?.KeyId as string, label: KeyMetadata?.KeyId as string };
      },
      async setPolicy(KeyId, text) {
        await kms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: text }));
        return cloudTrailEvent({
          ...where,
          eventSource: 'kms.amazonaws.com',
          eventName: 'PutKeyPolicy',
          requestParameters: {
            keyId: KeyId,
            policyName: 'default',
            policy: text,
            bypassPolicyLockoutSafetyCheck: false,
          },
          responseElements: null,
        });
      },
      async live(KeyId) {
        return sids((await kms.send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' }))).Policy);
      },
      emptied: [],
      baseline: [KEY_ADMINS],
      describer: kmsKeyPoliciesDescriber,
    },
    {
      name: 'ECR repository policy (SetRepositoryPolicy)',
      async create() {
        const repositoryName = unique('images');
        await ecr.send(new CreateRepositoryCommand({ repositoryName }));
        return { id: repositoryName, label: repositoryName };
      },
      async setPolicy(repositoryName, policyText) {
        const response = await ecr.send(new SetRepositoryPolicyCommand({ repositoryName, policyText }));
        return cloudTrailEvent({
          ...where,
          eventSource: 'ecr.amazonaws.com',
          eventName: 'SetRepositoryPolicy',
          requestParameters: { force: false, policyText, repositoryName },
          responseElements: {
            policyText: response.policyText,
            registryId: response.registryId,
            repositoryName: response.repositoryName,
          },
        });
      },
      async live(repositoryName) {
        try {
          return sids((await ecr.send(new GetRepositoryPolicyCommand({ repositoryName }))).policyText);
        } catch (error) {
          if ((error as Error).name === 'RepositoryPolicyNotFoundException') return [];
          throw error;
        }
      },
      emptied: [],
      describer: ecrRepositoryPoliciesDescriber,
    },
    {
      name: 'Secrets Manager secret policy (PutResourcePolicy)',
      async create() {
        const Name = unique('db-password');
        const { ARN } = await secrets.send(
          new CreateSecretCommand({ Name, SecretString: 'not-a-real-secret' }),
        );
        return { id: ARN as string, label: Name };
      },
      async setPolicy(SecretId, ResourcePolicy) {
        const response = await secrets.send(new PutResourcePolicyCommand({ SecretId, ResourcePolicy }));
        return cloudTrailEvent({
          ...where,
          eventSource: 'secretsmanager.amazonaws.com',
          eventName: 'PutResourcePolicy',
          requestParameters: {
            secretId: response.Name,
            resourcePolicy: ResourcePolicy,
            blockPublicPolicy: false,
          },
          responseElements: { arn: response.ARN, name: response.Name },
        });
      },
      async live(SecretId) {
        return sids((await secrets.send(new GetResourcePolicyCommand({ SecretId }))).ResourcePolicy);
      },
      emptied: [],
      describer: secretPoliciesDescriber,
    },
  ];

  describe.each(SERVICES)('$name', (service) => {
    const baseline = service.baseline ?? [];
    const kept = (after: string[]) =>
      baseline.length > 0 ? [...baseline.map((statement) => String(statement.Sid)), ...after] : after;

    it.each(CASES)('$name', async ({ set, after, severity }) => {
      const { id, label } = await service.create();
      const event = await service.setPolicy(id, policy([...baseline, ...set]));

      await run(event);

      expect(await service.live(id)).toEqual(
        baseline.length > 0 || after.length > 0 ? kept(after) : service.emptied,
      );
      const sent = (await alerts()).filter((text) => text.includes(label));
      if (severity) expect(sent.some((text) => text.toLowerCase().includes(severity))).toBe(true);
      else expect(sent).toEqual([]);
    });

    it('the sweep finds a public policy set without any event and the same handler removes it', async () => {
      const { id } = await service.create();
      await service.setPolicy(id, policy([...baseline, ORG_READER, ANYONE]));
      const found = await sweptInHomeAccount([service.describer], (resource) => resource.resourceId === id);
      expect(found).toHaveLength(1);

      await run(found[0]?.event as Record<string, unknown>);

      expect(await service.live(id)).toEqual(kept(['OrgReader']));
    });
  });

  describe('KMS: the owner is never locked out', () => {
    const keyWith = async (statements: Statement[]) => {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: unique('locked-key') }));
      const KeyId = KeyMetadata?.KeyId as string;
      const text = policy(statements);
      await kms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: text }));
      const event = cloudTrailEvent({
        ...where,
        eventSource: 'kms.amazonaws.com',
        eventName: 'PutKeyPolicy',
        requestParameters: { keyId: KeyId, policyName: 'default', policy: text },
        responseElements: null,
      });
      return { KeyId, event };
    };
    const liveSids = async (KeyId: string) =>
      JSON.parse(
        (await kms.send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' }))).Policy ?? '{}',
      ).Statement.map((statement: Statement) => statement.Sid);

    it('a public statement that is the only one: nothing is written (the owner would be locked out) and the alert says so', async () => {
      const { KeyId, event } = await keyWith([ANYONE]);

      await run(event);

      expect(await liveSids(KeyId)).toEqual(['Anyone']);
      const sent = (await alerts()).filter((text) => text.includes(KeyId));
      expect(sent.some((text) => text.includes('lock the owner out'))).toBe(true);
    });

    it("the key administrators' statement naming an outside account too: kept, alerted with what to fix by hand", async () => {
      const shared = {
        ...KEY_ADMINS,
        Sid: 'AdminsAndVendor',
        Principal: { AWS: [`arn:aws:iam::${HOME_ACCOUNT}:root`, `arn:aws:iam::${OUTSIDE_ACCOUNT}:root`] },
      };
      const { KeyId, event } = await keyWith([shared, ANYONE]);

      await run(event);

      expect(await liveSids(KeyId)).toEqual(['AdminsAndVendor']);
      const sent = (await alerts()).filter((text) => text.includes(KeyId));
      expect(sent.some((text) => text.includes('administer the key'))).toBe(true);
    });
  });
});
