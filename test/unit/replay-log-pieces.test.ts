import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { cloudTrailRecords } from '../../packages/cli/src/input';

/** What the whole file parses to, as replay read it before pieces: the records, or a parse error. */
function wholeRecords(bytes: Buffer): unknown[] | 'not JSON' {
  try {
    const document = JSON.parse(bytes.toString('utf8').trim()) as { Records?: unknown };
    return Array.isArray(document.Records) ? document.Records : 'not JSON';
  } catch {
    return 'not JSON';
  }
}

/** Text made to look like the cut marker, inside strings and as a nested object's first key. */
const trickyText = fc.oneof(
  fc.string(),
  fc.constantFrom('},{"eventVersion":', '"},{"eventVersion":"1.09"', ']}', '{"Records":[', '\\', '"'),
);

/** Nested values; `firstKey` names their objects' first key (`eventVersion` makes look-alike cuts). */
const nestedWith = (firstKey: string) =>
  fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      trickyText,
      fc.integer(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.record({ [firstKey]: tie('value'), other: tie('value') }, { requiredKeys: [] }),
    ),
  })).value;

/** A CloudTrail record (eventVersion first, as CloudTrail writes it), or one with its keys in another order. */
const recordWith = (nested: fc.Arbitrary<unknown>) =>
  fc.oneof(
    fc.record({ eventVersion: fc.constant('1.09'), eventName: trickyText, requestParameters: nested }),
    fc.record({ awsRegion: trickyText, eventVersion: fc.constant('1.08'), detail: nested }),
  );
const record = recordWith(nestedWith('eventVersion'));
const plainRecord = recordWith(nestedWith('items'));

const logFile = (records: unknown[]) => Buffer.from(JSON.stringify({ Records: records }));

describe('a CloudTrail log file parsed in pieces', () => {
  test.prop([fc.array(plainRecord, { minLength: 1, maxLength: 12 }), fc.nat(64)])(
    'gives exactly the records of the whole file, whatever their strings hold and however small the pieces',
    (records, pieceBytes) => {
      expect(cloudTrailRecords(logFile(records), pieceBytes)).toEqual(wholeRecords(logFile(records)));
    },
  );

  test.prop([fc.array(record, { minLength: 1, maxLength: 12 }), fc.nat(64)])(
    'a nested object that starts like a record makes a cut inside a record: the file is read whole',
    (records, pieceBytes) => {
      const pieces = cloudTrailRecords(logFile(records), pieceBytes);
      if (pieces !== undefined) expect(pieces).toEqual(wholeRecords(logFile(records)));
    },
  );

  test.prop([fc.array(record, { minLength: 1, maxLength: 6 }), fc.nat(), fc.nat(255), fc.nat(64)])(
    'a damaged file never gives records the whole file does not: the same ones, or none (read whole)',
    (records, at, byte, pieceBytes) => {
      const bytes = logFile(records);
      bytes[at % bytes.length] = byte;
      const pieces = cloudTrailRecords(bytes, pieceBytes);
      if (pieces !== undefined) expect(pieces).toEqual(wholeRecords(bytes));
    },
  );

  it('reads a file cut short, pretty-printed or without Records whole (undefined here)', () => {
    const bytes = logFile([{ eventVersion: '1.09' }, { eventVersion: '1.09' }]);
    expect(cloudTrailRecords(bytes.subarray(0, bytes.length - 3), 0)).toBeUndefined();
    expect(
      cloudTrailRecords(Buffer.from(JSON.stringify({ Records: [{ a: 1 }] }, null, 1)), 0),
    ).toBeUndefined();
    expect(cloudTrailRecords(Buffer.from('{"Records":[]}'), 0)).toBeUndefined();
    expect(cloudTrailRecords(Buffer.from('{"Findings":[{"eventVersion":1}]}'), 0)).toBeUndefined();
    expect(cloudTrailRecords(Buffer.from('{"Records":[{"a":1}],"x":[{"b":2}]}'), 0)).toBeUndefined();
  });

  it('cuts where a record starts and keeps a trailing newline out', () => {
    const records = [{ eventVersion: '1.09', n: 1 }, { eventVersion: '1.09', n: 2 }, { awsRegion: 'x' }];
    expect(cloudTrailRecords(Buffer.from(`${JSON.stringify({ Records: records })}\n`), 0)).toEqual(records);
  });

  it('a record holding an object that starts with eventVersion: read whole, never split there', () => {
    const records = [{ eventVersion: '1.09', requestParameters: [{}, { eventVersion: 0 }] }];
    expect(cloudTrailRecords(logFile(records), 0)).toBeUndefined();
  });
});
