import { createPipeline, type Executor, memoryFindingMarkStore, type Runtime } from '@driftguard/aws';
import { normalizeEvent, normalizeGuardDuty } from '@driftguard/core';
import { fc, test } from '@fast-check/vitest';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect } from 'vitest';
import {
  accessKeyResource,
  bucketResource,
  guardDutyFindingEvent,
} from '../../packages/cli/src/simulate/guardduty';
import { processRecord } from '../../packages/functions/src/evaluate';
import { configWith } from '../support/notify';

/** Every playbook on for every type from the lowest score: fuzzed findings reach the executor. */
const config = configWith({
  rules: {
    'guardduty-finding': {
      playbookMinimumSeverity: 1,
      playbooks: {
        'isolate-instance': ['*'],
        'deactivate-access-key': ['*'],
        'revoke-role-sessions': ['*'],
        'block-s3-public-access': ['*'],
      },
    },
  },
});

/** The executor never touches AWS here: it verifies the plan it is given is well formed. */
const execute: Executor = async (operation) => {
  expect(operation.target.account.length).toBeGreaterThan(0);
  return { operation, status: 'applied', verified: true, detail: 'stub' };
};

function runtime(deadLetters: string[]): Runtime {
  return {
    config,
    pipeline: createPipeline({ config, execute, findings: memoryFindingMarkStore() }),
    deadLetter: async (_body, reason) => void deadLetters.push(reason),
  };
}

type Node = Record<string, unknown>;

const record = (body: string) => ({ messageId: 'm1', body, attributes: {} }) as unknown as SQSRecord;

const instance = {
  resourceType: 'Instance',
  instanceDetails: {
    instanceId: 'i-0a1b2c3d4e5f60718',
    networkInterfaces: [{ networkInterfaceId: 'eni-1', securityGroups: [{ groupId: 'sg-1' }] }],
  },
};
const resources = [
  instance,
  accessKeyResource({ accessKeyId: 'AKIAEXAMPLE', userName: 'alice', userType: 'IAMUser' }),
  accessKeyResource({ accessKeyId: 'ASIAEXAMPLE', userName: 'web', userType: 'AssumedRole' }),
  bucketResource('storefront-assets'),
];

/** A valid finding event, then noise written over any part of it (GuardDuty's schema grows). */
const mutatedFinding = fc
  .record({
    type: fc.oneof(
      fc.constantFrom(
        'Backdoor:EC2/C&CActivity.B!DNS',
        'UnauthorizedAccess:IAMUser/TorIPCaller',
        'Policy:S3/BucketAnonymousAccessGranted',
      ),
      fc.string(),
    ),
    severity: fc.double({ min: 0, max: 10, noNaN: true }),
    resource: fc.constantFrom(...resources),
    count: fc.integer({ min: 1, max: 1000 }),
    noise: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }),
    where: fc.constantFrom(
      'detail',
      'resource',
      'service',
      'action',
      'instanceDetails',
      'accessKeyDetails',
      'envelope',
    ),
  })
  .map(({ type, severity, resource, count, noise, where }) => {
    const event = guardDutyFindingEvent({
      type,
      severity,
      resource,
      count,
      account: '111122223333',
      region: 'eu-west-1',
    }) as Node;
    const detail = event.detail as Node;
    const service = detail.service as Node;
    const details = detail.resource as Node;
    const targets: Record<string, Node | undefined> = {
      envelope: event,
      detail,
      resource: details,
      service,
      action: service.action as Node,
      instanceDetails: details.instanceDetails as Node | undefined,
      accessKeyDetails: details.accessKeyDetails as Node | undefined,
    };
    Object.assign(targets[where] ?? detail, noise);
    return event;
  });

describe('fuzzed GuardDuty findings never throw out of the handler', () => {
  test.prop([mutatedFinding], { numRuns: 400 })(
    'processRecord resolves: processed, or dead-lettered with a reason',
    async (event) => {
      const deadLetters: string[] = [];
      await expect(
        processRecord(record(JSON.stringify(event)), runtime(deadLetters)),
      ).resolves.toBeUndefined();
      const valid = normalizeEvent(event).ok;
      expect(deadLetters).toHaveLength(valid ? 0 : 1);
      if (!valid) expect(deadLetters[0]?.length).toBeGreaterThan(5);
    },
  );

  test.prop([fc.anything()], { numRuns: 500 })('the parser never throws on arbitrary input', (input) => {
    const result = normalizeGuardDuty(input);
    expect(typeof result.ok).toBe('boolean');
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
  });

  test.prop(
    [
      fc.record(
        {
          id: fc.oneof(fc.string(), fc.jsonValue()),
          type: fc.oneof(fc.string(), fc.jsonValue()),
          severity: fc.oneof(fc.double(), fc.string(), fc.jsonValue()),
          accountId: fc.oneof(fc.string(), fc.jsonValue()),
          region: fc.string(),
          updatedAt: fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            fc.string(),
          ),
          resource: fc.object(),
          service: fc.object(),
        },
        { requiredKeys: [] },
      ),
    ],
    { numRuns: 500 },
  )('a finding-shaped object with garbage fields is read or rejected, never thrown', (input) => {
    const result = normalizeEvent({
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      detail: input,
    });
    if (result.ok) {
      expect(result.kind).toBe('finding');
      if (result.kind === 'finding')
        expect(['low', 'medium', 'high', 'critical']).toContain(result.finding.band);
    } else expect(result.reason.length).toBeGreaterThan(0);
  });
});
