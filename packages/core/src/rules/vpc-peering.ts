import type { PeeringSide, VpcPeeringConfig } from '../config';
import type { Change } from '../events/change';
import { isRecord, toStr } from '../events/ec2-sets';
import type { Operation, Target } from '../operations';
import type { TrustZone } from '../trust-zone';
import type { Severity, Verdict } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

/** One side of a peering as a record (or live state) describes it; parts may be unknown. */
export interface PeeringEnd {
  account?: string;
  vpc?: string;
  region?: string;
}

export interface PeeringConnection {
  id?: string;
  requester: PeeringEnd;
  accepter: PeeringEnd;
  /** e.g. initiating-request, pending-acceptance, provisioning, active, rejected, deleted */
  status?: string;
}

/** States in which the peering no longer joins anything: the desired end state of a revert. */
export const PEERING_GONE_STATES: readonly string[] = [
  'rejected',
  'deleted',
  'deleting',
  'failed',
  'expired',
];

function end(info: unknown): PeeringEnd {
  if (!isRecord(info)) return {};
  const account = toStr(info.ownerId);
  const vpc = toStr(info.vpcId);
  const region = toStr(info.region);
  // Keys assigned in order, only when present: spreading them into a literal takes V8's slow path.
  const side: PeeringEnd = {};
  if (account) side.account = account;
  if (vpc) side.vpc = vpc;
  if (region) side.region = region;
  return side;
}

/**
 * The connection a Create/AcceptVpcPeeringConnection record is about: from
 * `responseElements.vpcPeeringConnection` (both sides, the id, the status) when present, else from
 * the request (Create: `vpcId`, `peerVpcId`, `peerOwnerId` defaulting to the caller's account,
 * `peerRegion` defaulting to the call's region; Accept: only `vpcPeeringConnectionId`).
 */
export function peeringOf(change: Change): PeeringConnection {
  const wrapped = Object.values(change.response).find(
    (value) => isRecord(value) && isRecord(value.vpcPeeringConnection),
  ) as Record<string, unknown> | undefined;
  const reported = isRecord(change.response.vpcPeeringConnection)
    ? change.response.vpcPeeringConnection
    : wrapped && isRecord(wrapped.vpcPeeringConnection)
      ? wrapped.vpcPeeringConnection
      : undefined;
  const request = change.request;
  const fromRequest: PeeringConnection =
    change.eventName === 'CreateVpcPeeringConnection'
      ? {
          requester: {
            account: change.account,
            ...(toStr(request.vpcId) ? { vpc: toStr(request.vpcId) } : {}),
            region: change.region,
          },
          accepter: {
            account: toStr(request.peerOwnerId) ?? change.account,
            ...(toStr(request.peerVpcId) ? { vpc: toStr(request.peerVpcId) } : {}),
            region: toStr(request.peerRegion) ?? change.region,
          },
        }
      : { requester: {}, accepter: {} };
  const requestId = toStr(request.vpcPeeringConnectionId);
  if (!reported) return { ...fromRequest, ...(requestId ? { id: requestId } : {}) };
  const requester = { ...fromRequest.requester, ...end(reported.requesterVpcInfo) };
  const accepter = { ...fromRequest.accepter, ...end(reported.accepterVpcInfo) };
  const id = toStr(reported.vpcPeeringConnectionId) ?? requestId;
  const status = isRecord(reported.status) ? toStr(reported.status.code) : undefined;
  const connection: PeeringConnection = id ? { id, requester, accepter } : { requester, accepter };
  if (status) connection.status = status;
  return connection;
}

const sameSide = (a: PeeringEnd, b: PeeringSide) => a.account === b.account && a.vpc === b.vpc;

/** The allowlisted pair this peering matches, in either order; undefined when none does. */
export function allowedPeering(
  peering: Pick<PeeringConnection, 'requester' | 'accepter'>,
  settings: VpcPeeringConfig,
): readonly [PeeringSide, PeeringSide] | undefined {
  return settings.allowedPeerings.find(
    ([a, b]) =>
      (sameSide(peering.requester, a) && sameSide(peering.accepter, b)) ||
      (sameSide(peering.requester, b) && sameSide(peering.accepter, a)),
  );
}

export function describeEnd(side: PeeringEnd): string {
  const where = [side.account ?? 'unknown account', side.region].filter(Boolean).join(' ');
  return `${side.vpc ?? 'unknown VPC'} (${where})`;
}

function outsideTrustZone(peering: PeeringConnection, own: string, zone: TrustZone): string[] {
  return [peering.requester.account, peering.accepter.account].filter(
    (account): account is string => account !== undefined && account !== own && !zone.accounts.has(account),
  );
}

/**
 * The revert the plan names: an accepter cannot delete a request still pending its acceptance, it
 * rejects it; everyone else deletes. The executor re-reads the connection and makes whichever call
 * its live state allows.
 */
function revertOf(change: Change, peering: PeeringConnection): Operation[] {
  if (!peering.id) return [];
  const target: Target = { account: change.account, region: change.region };
  const input = { VpcPeeringConnectionId: peering.id };
  const pendingOurAcceptance =
    change.eventName === 'CreateVpcPeeringConnection' && peering.accepter.account === change.account;
  return [
    pendingOurAcceptance
      ? { service: 'ec2', operation: 'RejectVpcPeeringConnection', target, input }
      : { service: 'ec2', operation: 'DeleteVpcPeeringConnection', target, input },
  ];
}

export const vpcPeering: Guardrail = {
  id: 'vpc-peering',
  title: 'VPC peering not in the allowlist',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [
    {
      eventSource: 'ec2.amazonaws.com',
      eventNames: ['CreateVpcPeeringConnection', 'AcceptVpcPeeringConnection'],
    },
  ],
  evaluate(change: Change, { config, trustZone }): Verdict {
    const settings = config.rules['vpc-peering'];
    const peering = peeringOf(change);
    const resource = {
      type: 'AWS::EC2::VPCPeeringConnection',
      id: peering.id ?? 'unknown peering',
      ...(peering.id
        ? { arn: `arn:aws:ec2:${change.region}:${change.account}:vpc-peering-connection/${peering.id}` }
        : {}),
    };
    const between = `${describeEnd(peering.requester)} ↔ ${describeEnd(peering.accepter)}`;
    const allowed = allowedPeering(peering, settings);
    if (allowed) {
      return {
        kind: 'compliant',
        resource,
        summary: `${resource.id} joins ${between}: an allowlisted pair (allowedPeerings)`,
      };
    }
    const outside = outsideTrustZone(peering, change.account, trustZone);
    const complete = [peering.requester, peering.accepter].every((side) => side.account && side.vpc);
    const severity: Severity = outside.length > 0 || !complete ? 'high' : 'medium';
    const why =
      outside.length > 0
        ? `peer account ${outside.join(', ')} is outside the trust zone`
        : complete
          ? 'both accounts are in the trust zone, but the pair is not allowlisted'
          : 'the record does not name both sides, so it cannot match the allowlist';
    const verb = change.eventName === 'AcceptVpcPeeringConnection' ? 'accepted' : 'requested';
    return {
      kind: 'violation',
      severity,
      resource,
      summary: `VPC peering ${resource.id} ${verb}: ${between} is not in allowedPeerings`,
      offenses: [
        {
          id: resource.id,
          severity,
          reason: `${between}: ${why}. Zero trust prefers PrivateLink (a VPC endpoint service exposes one service to named principals) to joining whole networks`,
          remediable: peering.id !== undefined,
        },
      ],
      remediation: revertOf(change, peering),
    };
  },
};

/** What RULES.md says of `vpcPeering` (`npm run rules:docs`; the functions do not ship it). */
export const vpcPeeringDocs: GuardrailDocs = {
  rationale:
    'A peering joins two whole networks: every address of one VPC can reach every address of the other, limited only by routes and security groups, and trust becomes transitive through whoever controls the peer. Zero trust prefers PrivateLink: a VPC endpoint service exposes one service, to named principals, with connections you accept.',
  violation:
    'A CreateVpcPeeringConnection or AcceptVpcPeeringConnection whose pair of (account, VPC) sides is not in `allowedPeerings` (pairs, either order). A peer account outside the trust zone makes it high; a peering inside the trust zone but not allowlisted is medium. A record that does not name both sides is judged not allowlisted (fail closed); the executor re-reads the connection before acting.',
  revert:
    'RejectVpcPeeringConnection when the connection is still pending acceptance and the account is its accepter, otherwise DeleteVpcPeeringConnection, decided on the live state (DescribeVpcPeeringConnections by id); verified by reading the connection back as rejected or deleted. A connection that has become allowlisted, or is already gone, is left alone.',
};
