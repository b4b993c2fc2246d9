import type { Change } from '../events/change';
import { isRecord, setItems, toStr } from '../events/ec2-sets';
import type { PublicSnapshotConfig } from '../exposure-config';
import type { ImageShare, ShareOperation } from '../share-operations';
import type { TrustZone } from '../trust-zone';
import type { Offense, ResourceRef, Severity, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

/**
 * Who a share names. EC2 records each grantee as one item of an XML-derived set
 * (`createVolumePermission.add.items[]` / `launchPermission.add.items[]`: `group` "all", `userId`,
 * and for images `organizationArn` / `organizationalUnitArn`); RDS records `valuesToAdd`
 * ("all" or account ids) for the `restore` attribute.
 */
export type Grantee =
  | { kind: 'public' }
  | { kind: 'account'; account: string }
  | { kind: 'organization'; arn: string; organizationId?: string }
  | { kind: 'organizational-unit'; arn: string; organizationId?: string };

type ShareKind = 'ebs-snapshot' | 'ami' | 'db-snapshot' | 'db-cluster-snapshot';

interface Share {
  kind: ShareKind;
  resource: ResourceRef;
  /** The id the revert names (snapshot id, image id, RDS identifier). */
  id: string;
  added: Grantee[];
}

const ORGANIZATION_ID = /:organizations::\d{12}:(?:organization|ou)\/(o-[a-z0-9]+)(?:\/|$)/;

function ec2Grantees(container: unknown): Grantee[] {
  const add = isRecord(container) ? container.add : undefined;
  return setItems(add).flatMap((item): Grantee[] => {
    // `groups` appears in some published samples of the same record; AWS documents `group`.
    const group = toStr(item.group) ?? toStr(item.groups);
    const userId = toStr(item.userId);
    const organization = toStr(item.organizationArn);
    const unit = toStr(item.organizationalUnitArn);
    const organizationId = (arn: string) => ORGANIZATION_ID.exec(arn)?.[1];
    return [
      ...(group === 'all' ? [{ kind: 'public' as const }] : []),
      ...(userId ? [{ kind: 'account' as const, account: userId }] : []),
      ...(organization
        ? [{ kind: 'organization' as const, arn: organization, organizationId: organizationId(organization) }]
        : []),
      ...(unit
        ? [{ kind: 'organizational-unit' as const, arn: unit, organizationId: organizationId(unit) }]
        : []),
    ];
  });
}

function rdsGrantees(values: unknown): Grantee[] {
  const list = Array.isArray(values) ? values : values === undefined ? [] : [values];
  return list
    .map(toStr)
    .filter((value): value is string => value !== undefined)
    .map((value) => (value === 'all' ? { kind: 'public' } : { kind: 'account', account: value }));
}

/** The share a call added, read from the forms CloudTrail records for each of the four calls. */
export function shareOf(change: Change): Share | { unreadable: string } {
  const { request, region, account } = change;
  switch (change.eventName) {
    case 'ModifySnapshotAttribute': {
      const id = toStr(request.snapshotId);
      if (!id) return { unreadable: 'the record names no snapshot (snapshotId)' };
      const resource = { type: 'AWS::EC2::Snapshot', id, arn: `arn:aws:ec2:${region}::snapshot/${id}` };
      return { kind: 'ebs-snapshot', id, resource, added: ec2Grantees(request.createVolumePermission) };
    }
    case 'ModifyImageAttribute': {
      const id = toStr(request.imageId);
      if (!id) return { unreadable: 'the record names no image (imageId)' };
      const resource = { type: 'AWS::EC2::Image', id, arn: `arn:aws:ec2:${region}::image/${id}` };
      return { kind: 'ami', id, resource, added: ec2Grantees(request.launchPermission) };
    }
    case 'ModifyDBSnapshotAttribute':
    case 'ModifyDBClusterSnapshotAttribute': {
      const cluster = change.eventName === 'ModifyDBClusterSnapshotAttribute';
      const id = toStr(cluster ? request.dBClusterSnapshotIdentifier : request.dBSnapshotIdentifier);
      if (!id) return { unreadable: 'the record names no DB snapshot identifier' };
      const attribute = toStr(request.attributeName);
      const arnPart = cluster ? 'cluster-snapshot' : 'snapshot';
      const resource = {
        type: cluster ? 'AWS::RDS::DBClusterSnapshot' : 'AWS::RDS::DBSnapshot',
        id,
        arn: id.startsWith('arn:') ? id : `arn:aws:rds:${region}:${account}:${arnPart}:${id}`,
      };
      // Only `restore` shares a snapshot; other attributes are not permissions.
      const added = attribute === 'restore' ? rdsGrantees(request.valuesToAdd) : [];
      return { kind: cluster ? 'db-cluster-snapshot' : 'db-snapshot', id, resource, added };
    }
    default:
      return { unreadable: `${change.eventName} is not a share` };
  }
}

const KIND_LABEL: Record<ShareKind, string> = {
  'ebs-snapshot': 'EBS snapshot',
  ami: 'AMI',
  'db-snapshot': 'RDS snapshot',
  'db-cluster-snapshot': 'RDS cluster snapshot',
};

export function granteeId(grantee: Grantee): string {
  if (grantee.kind === 'public') return 'all';
  return grantee.kind === 'account' ? grantee.account : grantee.arn;
}

interface Judged {
  grantee: Grantee;
  offense?: { severity: Severity; reason: string };
  trusted?: string;
}

function judge(
  grantee: Grantee,
  share: Share,
  context: { owner: string; trustZone: TrustZone; settings: PublicSnapshotConfig },
): Judged {
  const label = KIND_LABEL[share.kind];
  if (grantee.kind === 'public') {
    if (context.settings.publicAllowed.includes(share.id))
      return { grantee, trusted: `${share.id} is in publicAllowed` };
    return {
      grantee,
      offense: {
        severity: 'critical',
        reason: `${label} ${share.id} shared with "all": every AWS account can ${share.kind === 'ami' ? 'launch it' : 'copy or restore its data'}`,
      },
    };
  }
  if (grantee.kind === 'account') {
    const { account } = grantee;
    if (account === context.owner) return { grantee, trusted: `${account} is the owner` };
    if (context.trustZone.accounts.has(account))
      return { grantee, trusted: `${account} is in the trust zone` };
    if (context.settings.allowedAccounts.includes(account))
      return { grantee, trusted: `${account} is in allowedAccounts` };
    return {
      grantee,
      offense: {
        severity: 'high',
        reason: `${label} ${share.id} shared with account ${account}, outside the trust zone`,
      },
    };
  }
  const what = grantee.kind === 'organization' ? 'organization' : 'organizational unit';
  if (grantee.organizationId && grantee.organizationId === context.trustZone.organizationId)
    return { grantee, trusted: `${grantee.arn} is the trust zone's ${what}` };
  return {
    grantee,
    offense: {
      severity: 'high',
      reason: `${label} ${share.id} shared with ${what} ${grantee.arn}, not the trust zone's organization`,
    },
  };
}

function imageShare(grantee: Grantee): ImageShare {
  switch (grantee.kind) {
    case 'public':
      return { Group: 'all' };
    case 'account':
      return { UserId: grantee.account };
    case 'organization':
      return { OrganizationArn: grantee.arn };
    default:
      return { OrganizationalUnitArn: grantee.arn };
  }
}

/** The exact revert: remove only the offending grantees the call added. */
function revert(share: Share, offending: Grantee[], change: Change): ShareOperation {
  const target = { account: change.account, region: change.region };
  const values = offending.map(granteeId);
  switch (share.kind) {
    case 'ebs-snapshot': {
      const accounts = values.filter((value) => value !== 'all');
      return {
        service: 'ec2',
        operation: 'ModifySnapshotAttribute',
        target,
        input: {
          SnapshotId: share.id,
          Attribute: 'createVolumePermission',
          OperationType: 'remove',
          ...(values.includes('all') ? { GroupNames: ['all' as const] } : {}),
          ...(accounts.length > 0 ? { UserIds: accounts } : {}),
        },
      };
    }
    case 'ami':
      return {
        service: 'ec2',
        operation: 'ModifyImageAttribute',
        target,
        input: { ImageId: share.id, LaunchPermission: { Remove: offending.map(imageShare) } },
      };
    case 'db-snapshot':
      return {
        service: 'rds',
        operation: 'ModifyDBSnapshotAttribute',
        target,
        input: { DBSnapshotIdentifier: share.id, AttributeName: 'restore', ValuesToRemove: values },
      };
    case 'db-cluster-snapshot':
      return {
        service: 'rds',
        operation: 'ModifyDBClusterSnapshotAttribute',
        target,
        input: { DBClusterSnapshotIdentifier: share.id, AttributeName: 'restore', ValuesToRemove: values },
      };
  }
}

export const publicSnapshot: Guardrail = {
  id: 'public-snapshot',
  title: 'Snapshot or image shared publicly or outside the trust zone',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [
    { eventSource: 'ec2.amazonaws.com', eventNames: ['ModifySnapshotAttribute', 'ModifyImageAttribute'] },
    {
      eventSource: 'rds.amazonaws.com',
      eventNames: ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'],
    },
  ],
  evaluate(change: Change, { config, trustZone }): Verdict {
    const share = shareOf(change);
    if ('unreadable' in share) return { kind: 'not-applicable', summary: share.unreadable };
    const label = `${KIND_LABEL[share.kind]} ${share.id}`;
    if (share.added.length === 0) {
      return { kind: 'not-applicable', summary: `${change.eventName} added no share to ${label}` };
    }
    const settings = config.rules['public-snapshot'];
    const judged = share.added.map((grantee) =>
      judge(grantee, share, { owner: change.account, trustZone, settings }),
    );
    const offenders = judged.filter((entry) => entry.offense);
    if (offenders.length === 0) {
      return {
        kind: 'compliant',
        resource: share.resource,
        summary: `${label} shared inside the trust zone only: ${judged.map((entry) => entry.trusted).join('; ')}`,
      };
    }
    const offenses: Offense[] = offenders.map(({ grantee, offense }) => ({
      id: granteeId(grantee),
      severity: offense?.severity ?? 'high',
      reason: offense?.reason ?? '',
      remediable: true,
    }));
    return {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource: share.resource,
      summary: `${label}: ${offenses.length} of ${share.added.length} share(s) added reach beyond the trust zone`,
      offenses,
      remediation: [
        revert(
          share,
          offenders.map((entry) => entry.grantee),
          change,
        ),
      ],
    };
  },
};

/** What RULES.md says of `publicSnapshot` (`npm run rules:docs`; the functions do not ship it). */
export const publicSnapshotDocs: GuardrailDocs = {
  rationale:
    'A shared snapshot or image is a copy of the data walking out of the organization: whoever it is shared with can restore the disk or database in their own account, where none of your identity or network controls apply. Public snapshots are found by scanners within minutes.',
  violation:
    "EC2 ModifySnapshotAttribute (createVolumePermission), ModifyImageAttribute (launchPermission), RDS ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute (`restore`) adding `all` (public: critical, unless the id is in `publicAllowed`) or an account outside the trust zone and `allowedAccounts` (high). AMI shares to an organization or organizational unit are trusted when the ARN names the trust zone's organization. Removals and other attributes (description, product codes) are not applicable.",
  revert:
    'Remove exactly the offending grantees the call added, nothing else: ModifySnapshotAttribute with OperationType `remove` of that group (`all`) or account (the form both AWS and moto implement); ModifyImageAttribute with `LaunchPermission.Remove` of that group, account, organization or OU ARN; ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute with `ValuesToRemove`. The executor re-reads the attribute, removes only those still granted, and reads it back to verify.',
};
