import {
  createPipeline,
  type DedupeStore,
  deliveryKey,
  EventInProgressError,
  exactlyOnce,
  memoryDedupeStore,
  memoryHighWaterStore,
  type Pipeline,
  type ProcessedEvent,
  supersedingEvent,
} from '@driftguard/aws';
import {
  assess,
  defaultConfig,
  emptyLiveFacts,
  evaluateChange,
  normalizeCloudTrail,
  type Operation,
  type OutcomeStatus,
  stateAspect,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { type EvaluatorCase, loadCases } from '../support/cases';

const caseOf = (prefix: string) =>
  loadCases().find(([file]) => file.startsWith(prefix))?.[1] as EvaluatorCase;
const openSsh = caseOf('sg-open-ingress/01-').event as Record<string, unknown>;

/** A stand-in pipeline that counts its runs and answers with the outcome it is told. */
function countingPipeline(outcomes: (OutcomeStatus | Error)[]) {
  const runs: unknown[] = [];
  const pipeline: Pipeline = {
    async process(input) {
      runs.push(input);
      const next = outcomes.shift() ?? 'reverted';
      if (next instanceof Error) throw next;
      const normalized = normalizeCloudTrail(input);
      if (!normalized.ok) throw new Error(normalized.reason);
      const assessment = assess(normalized.change, defaultConfig());
      return {
        assessment,
        outcome: { status: next, verified: next === 'reverted', summary: next, results: [] },
        notifications: [],
        processingMs: 1,
      } satisfies ProcessedEvent;
    },
  };
  return { pipeline, runs };
}

describe('deliveryKey', () => {
  it('is the CloudTrail eventID, from an EventBridge event or a raw record alike', () => {
    const detail = openSsh.detail as Record<string, unknown>;
    expect(deliveryKey(openSsh)).toBe(detail.eventID);
    expect(deliveryKey(detail)).toBe(detail.eventID);
  });

  it('is the finding id and updatedAt for GuardDuty, so an updated finding is a new event', () => {
    const finding = (updatedAt: string) => ({
      version: '0',
      id: 'e-1',
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      account: '111122223333',
      region: 'us-east-1',
      time: updatedAt,
      detail: {
        schemaVersion: '2.0',
        accountId: '111122223333',
        region: 'us-east-1',
        id: 'abc123',
        type: 'Recon:EC2/PortProbeUnprotectedPort',
        severity: 5,
        createdAt: '2024-05-01T10:00:00.000Z',
        updatedAt,
        resource: { resourceType: 'Instance' },
        service: { count: 1, archived: false },
      },
    });
    const first = deliveryKey(finding('2024-05-01T10:00:00.000Z'));
    const again = deliveryKey(finding('2024-05-01T10:00:00Z'));
    const updated = deliveryKey(finding('2024-05-01T11:00:00.000Z'));
    expect(first).toBe('guardduty/abc123/2024-05-01T10:00:00.000Z');
    expect(again).toBe(first);
    expect(updated).not.toBe(first);
  });

  it('is undefined for input that is not an event', () => {
    expect(deliveryKey({ hello: 'world' })).toBeUndefined();
    expect(deliveryKey('not even an object')).toBeUndefined();
  });
});

describe('exactlyOnce', () => {
  it('processes an event once; later deliveries are duplicates that report the first outcome', async () => {
    const { pipeline, runs } = countingPipeline(['reverted']);
    const once = exactlyOnce(pipeline, memoryDedupeStore());
    const first = await once.process(openSsh);
    const second = await once.process(structuredClone(openSsh));
    const third = await once.process(structuredClone(openSsh));
    expect(runs).toHaveLength(1);
    expect(first.duplicate).toBeUndefined();
    for (const repeat of [second, third]) {
      expect(repeat.duplicate?.key).toBe((openSsh.detail as { eventID: string }).eventID);
      expect(repeat.outcome.status).toBe('reverted');
      expect(repeat.outcome.summary).toMatch(/^duplicate delivery: already processed at /);
      expect(repeat.notifications).toEqual([]);
      expect(repeat.assessment.event.eventId).toBe(first.assessment.event.eventId);
    }
  });

  it('concurrent deliveries: one processes, the other is told to come back later', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { pipeline, runs } = countingPipeline(['reverted']);
    const slow: Pipeline = {
      process: async (input) => {
        await gate;
        return pipeline.process(input);
      },
    };
    const once = exactlyOnce(slow, memoryDedupeStore());
    const first = once.process(openSsh);
    await expect(once.process(openSsh)).rejects.toThrow(EventInProgressError);
    release();
    await first;
    expect(runs).toHaveLength(1);
    expect((await once.process(openSsh)).duplicate).toBeDefined();
  });

  it('a failed revert or a crash gives the event back, so the retry acts', async () => {
    const { pipeline, runs } = countingPipeline(['revert-failed', new Error('audit table down'), 'reverted']);
    const once = exactlyOnce(pipeline, memoryDedupeStore());
    expect((await once.process(openSsh)).outcome.status).toBe('revert-failed');
    await expect(once.process(openSsh)).rejects.toThrow('audit table down');
    expect((await once.process(openSsh)).outcome.status).toBe('reverted');
    expect((await once.process(openSsh)).duplicate).toBeDefined();
    expect(runs).toHaveLength(3);
  });

  it('gives a failed event back even when the first writes to do it are throttled, so the next retry acts on it', async () => {
    const { pipeline, runs } = countingPipeline([
      new Error('AccessDenied: cannot assume the role'),
      'reverted',
    ]);
    const store = memoryDedupeStore();
    let refusals = 2;
    const throttled: DedupeStore = {
      ...store,
      release: async (key, owner) => {
        if (refusals-- > 0) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        return store.release(key, owner);
      },
    };
    const warnings: string[] = [];
    const once = exactlyOnce(pipeline, throttled, Date.now, (message) => warnings.push(message));
    await expect(once.process(openSsh)).rejects.toThrow('AccessDenied');
    // Not "in progress" until the lock runs out: the retry processes it.
    expect((await once.process(openSsh)).outcome.status).toBe('reverted');
    expect(runs).toHaveLength(2);
    expect(warnings).toEqual([]);
  });

  it('a delivery that died mid-event holds its claim until the lock expires, then the retry takes over', async () => {
    let now = 1_000_000;
    const store = memoryDedupeStore({ lockMs: 60_000, now: () => now });
    expect(await store.begin('event-1', 'crashed-delivery')).toEqual({
      status: 'acquired',
      takenOver: false,
    });
    expect((await store.begin('event-1', 'retry')).status).toBe('in-progress');
    now += 60_001;
    expect(await store.begin('event-1', 'retry')).toEqual({ status: 'acquired', takenOver: true });
    // The crashed delivery can no longer complete or release what it lost.
    await store.complete('event-1', 'crashed-delivery', { outcome: 'x' });
    await store.release('event-1', 'crashed-delivery');
    expect((await store.begin('event-1', 'third')).status).toBe('in-progress');
  });

  it('a marker that cannot be written after the effects are done does not fail the delivery', async () => {
    const { pipeline, runs } = countingPipeline(['reverted']);
    const store = memoryDedupeStore();
    const warnings: string[] = [];
    const flaky = {
      ...store,
      complete: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    };
    const once = exactlyOnce(pipeline, flaky, Date.now, (message) => warnings.push(message));
    expect((await once.process(openSsh)).outcome.status).toBe('reverted');
    expect(runs).toHaveLength(1);
    expect(warnings).toEqual([
      expect.stringMatching(/dedupe marker of event .* not updated: ProvisionedThroughput/),
    ]);
  });

  it('input that is not an event passes through to the pipeline, which rejects it', async () => {
    const { pipeline } = countingPipeline([]);
    await expect(exactlyOnce(pipeline, memoryDedupeStore()).process({ nope: true })).rejects.toThrow(
      /not a CloudTrail record/,
    );
  });
});

describe('the pipeline reads live state with its claim, and acts only under it', () => {
  /** The pipeline with a memory claim store and a live-fact reader that fails while `failing`. */
  function pipelineWithReads() {
    const executed: Operation[] = [];
    const reads = { count: 0, failing: false };
    const pipeline = createPipeline({
      config: defaultConfig(),
      execute: async (operation) => {
        executed.push(operation);
        return { operation, status: 'applied', verified: true, detail: 'revoked' };
      },
      dedupe: memoryDedupeStore(),
      liveFacts: async () => {
        reads.count += 1;
        if (reads.failing) throw new Error('DescribeSecurityGroups: throttled');
        return emptyLiveFacts();
      },
    });
    return { pipeline, executed, reads };
  }

  it('a read that fails gives the claim back: the retry reads again and acts once', async () => {
    const { pipeline, executed, reads } = pipelineWithReads();
    reads.failing = true;
    await expect(pipeline.process(openSsh)).rejects.toThrow('DescribeSecurityGroups: throttled');
    expect(executed).toHaveLength(0);
    reads.failing = false;
    expect((await pipeline.process(openSsh)).outcome.status).toBe('reverted');
    expect(executed).toHaveLength(1);
    expect(reads.count).toBe(2);
  });

  it('a duplicate may read (with its claim) but never acts, and a read it did not need cannot fail it', async () => {
    const { pipeline, executed, reads } = pipelineWithReads();
    await pipeline.process(openSsh);
    reads.failing = true;
    const again = await pipeline.process(openSsh);
    expect(again.duplicate).toBeDefined();
    expect(again.outcome.status).toBe('reverted');
    expect(executed).toHaveLength(1);
    expect(reads.count).toBe(2);
  });
});

describe('ordering: stateAspect and the high-water mark', () => {
  const policyEvent = (eventTime: string, eventId: string, policy: unknown) =>
    normalizeCloudTrail({
      eventID: eventId,
      eventTime,
      eventSource: 's3.amazonaws.com',
      eventName: 'PutBucketPolicy',
      awsRegion: 'us-east-1',
      recipientAccountId: '111122223333',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
      requestParameters: { bucketName: 'reports', bucketPolicy: policy },
    });
  const publicRead = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' },
    ],
  };
  const ownAccount = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111122223333:root' },
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::reports/*',
      },
    ],
  };

  it('names the document a call sets, and nothing for calls that add', () => {
    const aspect = (eventSource: string, eventName: string, request: Record<string, unknown> = {}) =>
      stateAspect({ eventSource, eventName, request });
    expect(aspect('s3.amazonaws.com', 'PutBucketPolicy')).toBe('bucket-policy');
    expect(aspect('s3.amazonaws.com', 'DeleteBucketPublicAccessBlock')).toBe('bucket-public-access-block');
    expect(aspect('s3control.amazonaws.com', 'PutAccountPublicAccessBlock')).toBe(
      'account-public-access-block',
    );
    expect(aspect('s3.amazonaws.com', 'PutAccessPointPolicy')).toBe('access-point-policy');
    expect(aspect('s3control.amazonaws.com', 'PutAccessPointPolicy')).toBe('access-point-policy');
    expect(aspect('lambda.amazonaws.com', 'AddPermission20150331v2')).toBeUndefined();
    expect(aspect('ec2.amazonaws.com', 'CreateVpcEndpoint')).toBe('endpoint-policy');
    expect(
      aspect('ec2.amazonaws.com', 'ModifyVpcEndpoint', { ModifyVpcEndpointRequest: { ResetPolicy: true } }),
    ).toBe('endpoint-policy');
    expect(
      aspect('ec2.amazonaws.com', 'ModifyVpcEndpoint', {
        ModifyVpcEndpointRequest: { AddSubnetId: 'subnet-1' },
      }),
    ).toBeUndefined();
    expect(
      aspect('ec2.amazonaws.com', 'ModifyVpcEndpointServiceConfiguration', { AcceptanceRequired: 'false' }),
    ).toBe('endpoint-service-acceptance');
    expect(aspect('ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress')).toBeUndefined();
    expect(aspect('ec2.amazonaws.com', 'ModifyVpcEndpointServicePermissions')).toBeUndefined();
  });

  it('an older PutBucketPolicy after a newer one is superseded; the newer one and a retry of it are not', async () => {
    const store = memoryHighWaterStore();
    const config = defaultConfig();
    const newer = policyEvent('2024-05-01T10:05:00Z', 'newer', ownAccount);
    const older = policyEvent('2024-05-01T10:00:00Z', 'older', publicRead);
    if (!newer.ok || !older.ok) throw new Error('fixtures must normalize');
    const newerAssessment = assess(newer.change, config);
    const olderAssessment = assess(older.change, config);
    expect(newerAssessment.status).toBe('compliant');
    expect(olderAssessment.status).toBe('violation');
    expect(await supersedingEvent(store, evaluateChange(newer.change, config))).toBeUndefined();
    expect(await supersedingEvent(store, evaluateChange(older.change, config))).toEqual({
      eventTime: '2024-05-01T10:05:00.000Z',
      eventId: 'newer',
    });
    expect(await supersedingEvent(store, evaluateChange(newer.change, config))).toBeUndefined();
  });

  it('sweep observations and additive calls neither read nor raise the mark', async () => {
    const store = memoryHighWaterStore();
    const config = defaultConfig();
    const swept = policyEvent('2024-05-01T12:00:00Z', 'sweep', ownAccount);
    const older = policyEvent('2024-05-01T10:00:00Z', 'older', publicRead);
    if (!swept.ok || !older.ok) throw new Error('fixtures must normalize');
    const sweep = evaluateChange(swept.change, config, { origin: 'sweep' });
    expect(await supersedingEvent(store, sweep)).toBeUndefined();
    expect(await supersedingEvent(store, evaluateChange(older.change, config))).toBeUndefined();
    const sg = normalizeCloudTrail(openSsh);
    if (!sg.ok) throw new Error('fixture must normalize');
    expect(await supersedingEvent(store, evaluateChange(sg.change, config))).toBeUndefined();
  });
});
