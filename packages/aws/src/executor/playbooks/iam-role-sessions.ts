import { GetRoleCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { type OperationResult, type RevokeRoleSessions, revokeSessionsPolicy } from '@driftguard/core';
import { awsErrorCode } from '../../errors';
import type { ExecutorContext } from '../index';
import { alreadyCompliant, applied, failed } from '../results';

/** IAM returns policy documents URL-encoded; emulators sometimes do not. */
export function decodePolicyDocument(document: string | undefined): unknown {
  if (!document) return undefined;
  for (const text of [document, decodeURIComponent(document)]) {
    try {
      return JSON.parse(text);
    } catch {
      // try the next form
    }
  }
  return undefined;
}

/** The cut-off of a revocation policy as read back, when it denies everything before a time. */
export function revocationCutoff(document: unknown): string | undefined {
  const statements = (document as { Statement?: unknown })?.Statement;
  for (const statement of Array.isArray(statements) ? statements : [statements]) {
    const s = statement as {
      Effect?: string;
      Action?: string | string[];
      Resource?: string | string[];
      Condition?: { DateLessThan?: Record<string, string> };
    };
    const all = (value: string | string[] | undefined) => [value ?? []].flat().includes('*');
    const cutoff = s?.Condition?.DateLessThan?.['aws:TokenIssueTime'];
    if (s?.Effect === 'Deny' && all(s.Action) && all(s.Resource) && cutoff) return cutoff;
  }
  return undefined;
}

/**
 * verify → act → verify for the role-session playbook: confirm the role exists, attach (or move
 * forward) an inline policy denying everything to sessions issued before now, and read the policy
 * back to prove it. Sessions issued later are unaffected; deleting the inline policy undoes it.
 */
export async function revokeRoleSessions(
  operation: RevokeRoleSessions,
  { clients, now }: ExecutorContext,
): Promise<OperationResult> {
  const { RoleName, PolicyName } = operation.input;
  const iam = await clients.get(IAMClient, operation.target);
  try {
    await iam.send(new GetRoleCommand({ RoleName }));
  } catch (error) {
    if (awsErrorCode(error) !== 'NoSuchEntity') throw error;
    return alreadyCompliant(operation, `role ${RoleName} no longer exists: its sessions are no longer valid`);
  }
  // Second precision, as IAM compares aws:TokenIssueTime.
  const cutoff = new Date((now ?? Date.now)()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await iam.send(
    new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument: revokeSessionsPolicy(cutoff) }),
  );
  const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }));
  const readBack = revocationCutoff(decodePolicyDocument(PolicyDocument));
  if (readBack !== cutoff) {
    return failed(
      operation,
      `re-read of ${RoleName}/${PolicyName} shows cut-off ${readBack ?? 'none'} instead of ${cutoff}`,
    );
  }
  return applied(
    operation,
    `sessions of role ${RoleName} issued before ${cutoff} denied (inline policy ${PolicyName})`,
    [`${RoleName}: ${PolicyName} denies sessions issued before ${cutoff}`],
  );
}
