import { tooDeep } from './bounds';
import type { Change } from './change';
import { isRecord } from './ec2-sets';
import {
  type Finding,
  GUARDDUTY_DETAIL_TYPE,
  looksLikeFinding,
  normalizeBoundedGuardDuty,
} from './guardduty';
import { CLOUDTRAIL_DETAIL_TYPE, normalizeBoundedCloudTrail } from './normalize';

/** Everything driftguard reads: a CloudTrail change, or a GuardDuty finding. */
export type NormalizedEvent =
  | { ok: true; kind: 'cloudtrail'; change: Change }
  | { ok: true; kind: 'finding'; finding: Finding }
  | { ok: false; reason: string };

/**
 * The one entry point for input: an EventBridge event is dispatched on its `detail-type`
 * ("AWS API Call via CloudTrail" or "GuardDuty Finding"); a bare record is a raw GuardDuty finding
 * when it looks like one (type + severity + service/resource), a CloudTrail record otherwise.
 */
export function normalizeEvent(input: unknown): NormalizedEvent {
  const deep = tooDeep(input);
  if (deep) return { ok: false, reason: deep };
  if (isRecord(input) && ('detail-type' in input || 'detail' in input)) {
    const detailType = input['detail-type'];
    if (detailType === GUARDDUTY_DETAIL_TYPE) return fromFinding(input);
    if (detailType === CLOUDTRAIL_DETAIL_TYPE) return fromChange(input);
    return {
      ok: false,
      reason: `unsupported EventBridge detail-type ${JSON.stringify(detailType)} (expected "${CLOUDTRAIL_DETAIL_TYPE}" or "${GUARDDUTY_DETAIL_TYPE}")`,
    };
  }
  if (isRecord(input) && looksLikeFinding(input)) return fromFinding(input);
  return fromChange(input);
}

function fromChange(input: unknown): NormalizedEvent {
  const normalized = normalizeBoundedCloudTrail(input);
  return normalized.ok ? { ok: true, kind: 'cloudtrail', change: normalized.change } : normalized;
}

function fromFinding(input: unknown): NormalizedEvent {
  const normalized = normalizeBoundedGuardDuty(input);
  return normalized.ok ? { ok: true, kind: 'finding', finding: normalized.finding } : normalized;
}
