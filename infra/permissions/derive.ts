import { PLAYBOOKS, type Playbook } from '@driftguard/core';
import { iamActions } from './iam-actions';
import { type SdkCall, scanPaths } from './scan';

/**
 * Which code runs with which credentials. The scan relies on this list:
 *
 * - calls in MEMBER_CODE are sent with the member account's `DriftGuardRemediation` session
 *   (executor: verify → act → verify, its playbooks, and the live reads guardrails ask for);
 * - every other call under CENTRAL_CODE runs with the central `evaluate` function's own role.
 *
 * A file whose calls run in member accounts belongs here. Forgetting one fails loudly: the
 * central policy has no resource scope for member services (infra/function-policy.ts).
 */
export const MEMBER_CODE = [
  'packages/aws/src/executor',
  'packages/aws/src/playbooks',
  'packages/aws/src/sweep',
  'packages/aws/src/live-facts.ts',
  'packages/aws/src/shared-prefix-lists.ts',
  'packages/aws/src/prefix-list-rules.ts',
  'packages/aws/src/ram-shares.ts',
] as const;
export const CENTRAL_CODE = ['packages/functions/src', 'packages/aws/src', 'packages/notify/src'] as const;

/**
 * The member code of each GuardDuty playbook. An action whose every caller is a playbook file is
 * granted only when one of those playbooks is enabled (infra/member-template.ts); a test checks
 * that every file in the playbooks folder is listed here and every playbook has its file.
 */
export const PLAYBOOK_CODE: Record<Playbook, string> = {
  'isolate-instance': 'packages/aws/src/executor/playbooks/ec2-isolate.ts',
  'deactivate-access-key': 'packages/aws/src/executor/playbooks/iam-access-key.ts',
  'revoke-role-sessions': 'packages/aws/src/executor/playbooks/iam-role-sessions.ts',
  'block-s3-public-access': 'packages/aws/src/executor/playbooks/s3-public-access.ts',
};

/**
 * The member actions a role needs with these playbooks enabled: every action some non-playbook
 * code calls, plus those the enabled playbooks call. `member` is infra/permissions.json's.
 */
export function memberActionsFor(
  member: Record<string, readonly string[]>,
  playbooks: readonly Playbook[],
): string[] {
  const playbookFiles = new Map(PLAYBOOKS.map((playbook) => [PLAYBOOK_CODE[playbook], playbook]));
  const enabled = new Set(playbooks);
  return Object.entries(member)
    .filter(([, files]) =>
      files.some((file) => {
        const playbook = playbookFiles.get(file);
        return playbook === undefined || enabled.has(playbook);
      }),
    )
    .map(([action]) => action)
    .sort();
}

/**
 * Calls the deployed function never makes, by `<file>#<enclosing function>`, with the reason. The
 * derivation fails if an entry stops matching anything, so this list cannot go stale.
 */
export const NOT_DEPLOYED: Record<string, string> = {
  'packages/aws/src/store/table.ts#ensureStateTable':
    'creates the state table for moto and local runs; in AWS the stack owns the table (infra/state.ts)',
};

export interface DerivedPermissions {
  /** IAM action → the files whose calls need it (no line numbers: they would churn on every edit). */
  member: Record<string, string[]>;
  central: Record<string, string[]>;
  /** Calls left out on purpose, with the reason. */
  excluded: { call: string; reason: string }[];
}

const inMember = (call: SdkCall) =>
  MEMBER_CODE.some((path) => call.file === path || call.file.startsWith(`${path}/`));

function actionsBySource(calls: readonly SdkCall[]): Record<string, string[]> {
  const byAction = new Map<string, Set<string>>();
  for (const call of calls) {
    for (const action of iamActions(call)) {
      const sources = byAction.get(action) ?? new Set<string>();
      sources.add(call.file);
      byAction.set(action, sources);
    }
  }
  return Object.fromEntries(
    [...byAction.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([action, sources]) => [action, [...sources].sort()]),
  );
}

/**
 * The IAM actions driftguard's code needs, derived from the source (never from a hand list):
 * the member remediation role gets exactly `member`, the central function role `central` plus
 * what the Lambda platform itself needs (infra/function-policy.ts).
 */
export function derivePermissions(root: string): DerivedPermissions {
  const member = scanPaths(root, MEMBER_CODE);
  const central = scanPaths(root, CENTRAL_CODE).filter((call) => !inMember(call));

  const excluded: DerivedPermissions['excluded'] = [];
  const used = new Set<string>();
  const deployed = central.filter((call) => {
    const key = call.enclosing
      .map((name) => `${call.file}#${name}`)
      .find((candidate) => candidate in NOT_DEPLOYED);
    if (!key) return true;
    used.add(key);
    if (excluded.some((entry) => entry.call === `${call.name} in ${key}`)) return false;
    excluded.push({ call: `${call.name} in ${key}`, reason: NOT_DEPLOYED[key] ?? '' });
    return false;
  });
  const stale = Object.keys(NOT_DEPLOYED).filter((key) => !used.has(key));
  if (stale.length > 0) {
    throw new Error(`NOT_DEPLOYED entries match no SDK call any more, remove them: ${stale.join(', ')}`);
  }
  return { member: actionsBySource(member), central: actionsBySource(deployed), excluded };
}
