import { isRecord, toStr } from '../events/ec2-sets';
import type { PolicyDocument, Statement } from '../policy/document';
import { parseArn } from '../policy/principals';
import type { ResourcePolicyAdapter } from './adapter';
import { accountOf } from './adapter';

/** `kms:PutKeyPolicy` matched by an action pattern (`*`, `kms:*`, `kms:Put*`, any case). */
function coversPutKeyPolicy(pattern: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test('kms:PutKeyPolicy');
}

/** A principal of the owner account: its root (ARN or bare id) or one of its roles and users. */
function ownersPrincipal(value: string, owner: string): boolean {
  return value === owner || parseArn(value)?.account === owner;
}

/**
 * Whether the statement lets the key's own account administer the key: an Allow, without
 * conditions, naming the owner account (or a principal of it) and covering kms:PutKeyPolicy. This is
 * the statement AWS's default key policy and the console's key administrators statement provide;
 * without one nobody can change the key policy again.
 */
export function administersKey(statement: Statement, owner: string): boolean {
  if (statement.effect !== 'Allow' || statement.notPrincipal || statement.conditions.length > 0) return false;
  const principal = statement.principal;
  if (principal?.kind !== 'entries') return false;
  const owners = principal.entries.some(
    (entry) => entry.type === 'AWS' && ownersPrincipal(entry.value, owner),
  );
  return owners && (statement.actions ?? []).some(coversPutKeyPolicy);
}

/**
 * KMS PutKeyPolicy (`requestParameters.keyId`, `policyName` "default", `policy` as JSON text,
 * `bypassPolicyLockoutSafetyCheck`: AWS KMS developer guide, "PutKeyPolicy" CloudTrail example) and
 * CreateKey with a `policy` (the key in `responseElements.keyMetadata`; without a policy AWS applies
 * its default key policy, the account only: AWS KMS developer guide, "CreateKey" example; Panther's
 * AWS.CloudTrail.ResourceMadePublic reads `policy` for both).
 */
export const kmsKeyPolicy: ResourcePolicyAdapter = {
  service: 'kms',
  noun: 'KMS key',
  eventSource: 'kms.amazonaws.com',
  eventNames: ['PutKeyPolicy', 'CreateKey'],
  doc: "KMS key: PutKeyPolicy and CreateKey with a `policy` (CreateKey without one gets AWS's default key policy: not applicable). Written back with PutKeyPolicy (policy name `default`, never bypassing the lockout safety check). Never removed: a statement that lets the key's own account administer the key (it is alerted: remove the outside principal from it by hand); never written: a policy with no statement left that lets the key's account administer the key (the owner would be locked out), alerted with that reason instead.",
  read(change) {
    const metadata = isRecord(change.response.keyMetadata) ? change.response.keyMetadata : {};
    const keyId = toStr(change.request.keyId) ?? toStr(metadata.arn) ?? toStr(metadata.keyId);
    if (!keyId) return { notApplicable: 'the record names no key (keyId, keyMetadata)' };
    const policy = change.request.policy;
    if (!toStr(policy))
      return { notApplicable: `${keyId} was created with AWS's default key policy (the account only)` };
    const arn = parseArn(keyId) ?? parseArn(toStr(metadata.arn) ?? '');
    const owner = accountOf(arn?.account) ?? accountOf(toStr(metadata.AWSAccountId)) ?? change.account;
    const region = arn?.region || change.region;
    const id = arn?.resource.replace(/^key\//, '') ?? keyId;
    return {
      resource: { type: 'AWS::KMS::Key', id, arn: `arn:aws:kms:${region}:${owner}:key/${id}` },
      owner,
      region,
      policy,
      revert: (kept, common) =>
        kept
          ? {
              ok: true,
              operation: {
                service: 'kms',
                operation: 'PutKeyPolicy',
                ...common,
                input: { KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(kept) },
              },
            }
          : { ok: false, reason: 'a key policy cannot be emptied' },
    };
  },
  mustKeep(statement, owner) {
    return administersKey(statement, owner)
      ? `it lets the key's own account (${owner}) administer the key; removing it could lock the owner out, so remove the outside principal from it by hand`
      : undefined;
  },
  refuseKept(kept: PolicyDocument | undefined, owner) {
    if (kept?.statements.some((statement) => administersKey(statement, owner))) return undefined;
    return `no statement would be left that lets the key's own account (${owner}) administer the key: writing it would lock the owner out, so it is alerted instead`;
  },
};
