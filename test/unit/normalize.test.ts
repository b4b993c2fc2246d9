import {
  cloudTrailRecordSchema,
  normalizeCloudTrail,
  setItems,
  toInt,
  wellFormedCloudTrailRecord,
} from '@driftguard/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';

const record = {
  eventID: 'e-1',
  eventTime: '2024-03-01T10:05:00Z',
  eventSource: 'ec2.amazonaws.com',
  eventName: 'AuthorizeSecurityGroupIngress',
  awsRegion: 'eu-west-1',
  recipientAccountId: '111122223333',
  userIdentity: {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/ci-run-7',
    sessionContext: {
      sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/Deployer', userName: 'Deployer' },
    },
  },
  sourceIPAddress: '198.51.100.7',
  userAgent: 'terraform/1.9',
  requestParameters: { groupId: 'sg-1' },
  responseElements: null,
};

describe('normalizeCloudTrail', () => {
  it('reads the actor, role and session of an assumed-role call', () => {
    const result = normalizeCloudTrail(record);
    expect(result.ok && result.change.actor).toEqual({
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/ci-run-7',
      roleArn: 'arn:aws:iam::111122223333:role/Deployer',
      roleName: 'Deployer',
      sessionName: 'ci-run-7',
      sourceIp: '198.51.100.7',
      userAgent: 'terraform/1.9',
    });
    expect(result.ok && result.change.response).toEqual({});
  });

  it('takes the account from the envelope when the record has no recipientAccountId', () => {
    const { recipientAccountId: _omit, ...rest } = record;
    const result = normalizeCloudTrail({
      'detail-type': 'AWS API Call via CloudTrail',
      account: '444455556666',
      detail: rest,
    });
    expect(result.ok && result.change.account).toBe('444455556666');
  });

  it('says which fields are missing', () => {
    const result = normalizeCloudTrail({ ...record, eventID: undefined, awsRegion: 7 });
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(/^not a CloudTrail record \(eventID: .*awsRegion: /),
    });
  });

  it('rejects EventBridge events of other kinds with their detail-type', () => {
    expect(
      normalizeCloudTrail({ 'detail-type': 'EC2 Instance State-change Notification', detail: {} }),
    ).toEqual({
      ok: false,
      reason: 'unsupported EventBridge detail-type "EC2 Instance State-change Notification"',
    });
  });

  test.prop([fc.anything()], { numRuns: 500 })('never throws on arbitrary input', (input) => {
    const result = normalizeCloudTrail(input);
    expect(typeof result.ok).toBe('boolean');
  });

  test.prop([fc.dictionary(fc.string(), fc.jsonValue())], { numRuns: 300 })(
    'never throws when the record is mutated',
    (noise) => {
      const result = normalizeCloudTrail({ ...record, ...noise });
      if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
    },
  );
});

describe('the hand-written check of a CloudTrail record (fast path before the schema)', () => {
  // Each field drawn from the values that sit on either side of what the schema accepts.
  const value = fc.constantFrom(undefined, null, '', 'x', 0, 1, true, {}, [], ['x']);
  const identity = fc.oneof(
    value,
    fc.record({ type: value, accountId: value, arn: value }, { requiredKeys: [] }),
  );
  const candidate = fc.record(
    {
      eventID: value,
      eventTime: value,
      eventSource: value,
      eventName: value,
      awsRegion: value,
      recipientAccountId: value,
      userIdentity: identity,
      requestParameters: value,
      responseElements: value,
      errorCode: value,
      errorMessage: value,
      sourceIPAddress: value,
      userAgent: value,
    },
    { requiredKeys: [] },
  );
  const nearlyValid = fc.record({
    base: fc.constant(record),
    field: fc.constantFrom(...Object.keys(record)),
    value,
  });

  test.prop([candidate], { numRuns: 2000 })('accepts exactly what the schema accepts', (input) => {
    expect(wellFormedCloudTrailRecord(input)).toBe(cloudTrailRecordSchema.safeParse(input).success);
  });
  test.prop([nearlyValid], { numRuns: 500 })(
    '…also one field away from a valid record',
    ({ base, field, value }) => {
      const input = { ...base, [field]: value };
      expect(wellFormedCloudTrailRecord(input)).toBe(cloudTrailRecordSchema.safeParse(input).success);
    },
  );
});

describe("EC2's XML-derived sets", () => {
  it('reads one element as an object and several as an array, items or item', () => {
    expect(setItems({ items: { a: 1 } })).toEqual([{ a: 1 }]);
    expect(setItems({ items: [{ a: 1 }, { a: 2 }] })).toEqual([{ a: 1 }, { a: 2 }]);
    expect(setItems({ item: { a: 1 } })).toEqual([{ a: 1 }]);
    expect(setItems({})).toEqual([]);
    expect(setItems(null)).toEqual([]);
  });

  it('reads numbers given as strings', () => {
    expect(toInt('22')).toBe(22);
    expect(toInt(-1)).toBe(-1);
    expect(toInt('22a')).toBeUndefined();
  });
});
