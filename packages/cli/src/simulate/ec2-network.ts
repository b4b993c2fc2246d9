import { randomUUID } from 'node:crypto';
import type {
  EC2Client,
  IpPermission as SdkIpPermission,
  SecurityGroupRuleRequest,
  ServiceConfiguration,
  VpcPeeringConnection,
  VpcPeeringConnectionVpcInfo,
} from '@aws-sdk/client-ec2';
import {
  type AuthorizeEventInput,
  authorizeEvent,
  authorizeForReal,
  cloudTrailEvent,
  ec2Set,
  type SimulatedActor,
} from './cloudtrail';

/**
 * CloudTrail records for the EC2 network calls (security-group egress and rule modification,
 * peering, endpoint services), built from the real request and the real response of a call made
 * against moto, in CloudTrail's own shapes: camelCase XML-derived sets for the older APIs, and for
 * the newer ones the `<Action>Request` wrapper with PascalCase keys, lists as `{tag, content}` items
 * (an object for one element, an array for several) and a camelCase `<Action>Response`.
 */
interface Where {
  account: string;
  region: string;
  actor?: SimulatedActor;
}

const EC2 = 'ec2.amazonaws.com';

/** The wrapped APIs' list form: `{tag, content}` items, one object or an array. */
function taggedList(values: readonly string[]): unknown {
  const items = values.map((content, index) => ({ tag: index + 1, content }));
  return items.length === 1 ? items[0] : items;
}

/** The AuthorizeSecurityGroupEgress record for a real call and the rules it added. */
export const authorizeEgressEvent = (input: AuthorizeEventInput) => authorizeEvent('egress', input);

/** A real AuthorizeSecurityGroupEgress; returns the rules it added (describe before and after). */
export const authorizeEgressForReal = (ec2: EC2Client, groupId: string, permissions: SdkIpPermission[]) =>
  authorizeForReal(ec2, 'egress', groupId, permissions);

/**
 * The ModifySecurityGroupRules record: `ModifySecurityGroupRulesRequest` with one
 * `SecurityGroupRule` entry per modified rule (object or array), each with a `tag`.
 */
export function modifySecurityGroupRulesEvent(
  input: Where & {
    groupId: string;
    rules: { SecurityGroupRuleId: string; SecurityGroupRule: SecurityGroupRuleRequest }[];
  },
): Record<string, unknown> {
  const entries = input.rules.map((rule, index) => ({ ...rule, tag: index + 1 }));
  return cloudTrailEvent({
    eventSource: EC2,
    eventName: 'ModifySecurityGroupRules',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      ModifySecurityGroupRulesRequest: {
        GroupId: input.groupId,
        SecurityGroupRule: entries.length === 1 ? entries[0] : entries,
      },
    },
    responseElements: { ModifySecurityGroupRulesResponse: { _return: true, requestId: randomUUID() } },
  });
}

function vpcInfo(info: VpcPeeringConnectionVpcInfo | undefined): Record<string, unknown> {
  return {
    ...(info?.OwnerId ? { ownerId: info.OwnerId } : {}),
    ...(info?.VpcId ? { vpcId: info.VpcId } : {}),
    ...(info?.CidrBlock
      ? { cidrBlock: info.CidrBlock, cidrBlockSet: ec2Set([{ cidrBlock: info.CidrBlock }]) }
      : {}),
    ...(info?.Region ? { region: info.Region } : {}),
  };
}

/** The response element CloudTrail records for a peering connection (camelCase). */
export function peeringToCloudTrail(connection: VpcPeeringConnection): Record<string, unknown> {
  return {
    vpcPeeringConnectionId: connection.VpcPeeringConnectionId,
    requesterVpcInfo: vpcInfo(connection.RequesterVpcInfo),
    accepterVpcInfo: vpcInfo(connection.AccepterVpcInfo),
    status: { code: connection.Status?.Code, message: connection.Status?.Message },
    tagSet: {},
  };
}

/** The CreateVpcPeeringConnection record for a real call and its response. */
export function createPeeringEvent(
  input: Where & {
    request: { VpcId: string; PeerVpcId: string; PeerOwnerId?: string; PeerRegion?: string };
    connection: VpcPeeringConnection;
  },
): Record<string, unknown> {
  const { request } = input;
  return cloudTrailEvent({
    eventSource: EC2,
    eventName: 'CreateVpcPeeringConnection',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      vpcId: request.VpcId,
      peerVpcId: request.PeerVpcId,
      ...(request.PeerOwnerId ? { peerOwnerId: request.PeerOwnerId } : {}),
      ...(request.PeerRegion ? { peerRegion: request.PeerRegion } : {}),
    },
    responseElements: {
      requestId: randomUUID(),
      vpcPeeringConnection: peeringToCloudTrail(input.connection),
    },
  });
}

/** The AcceptVpcPeeringConnection record for a real call and its response. */
export function acceptPeeringEvent(
  input: Where & { connection: VpcPeeringConnection },
): Record<string, unknown> {
  return cloudTrailEvent({
    eventSource: EC2,
    eventName: 'AcceptVpcPeeringConnection',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: { vpcPeeringConnectionId: input.connection.VpcPeeringConnectionId },
    responseElements: {
      requestId: randomUUID(),
      vpcPeeringConnection: peeringToCloudTrail(input.connection),
    },
  });
}

/** The ModifyVpcEndpointServicePermissions record (wrapped request and response). */
export function endpointServicePermissionsEvent(
  input: Where & { serviceId: string; add?: string[]; remove?: string[] },
): Record<string, unknown> {
  return cloudTrailEvent({
    eventSource: EC2,
    eventName: 'ModifyVpcEndpointServicePermissions',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      ModifyVpcEndpointServicePermissionsRequest: {
        ServiceId: input.serviceId,
        ...(input.add?.length ? { AddAllowedPrincipals: taggedList(input.add) } : {}),
        ...(input.remove?.length ? { RemoveAllowedPrincipals: taggedList(input.remove) } : {}),
      },
    },
    responseElements: {
      ModifyVpcEndpointServicePermissionsResponse: { requestId: randomUUID(), return: true },
    },
  });
}

/** The Create/ModifyVpcEndpointServiceConfiguration record (wrapped request and response). */
export function endpointServiceConfigurationEvent(
  input: Where & {
    eventName: 'CreateVpcEndpointServiceConfiguration' | 'ModifyVpcEndpointServiceConfiguration';
    request: { ServiceId?: string; AcceptanceRequired?: boolean; NetworkLoadBalancerArns?: string[] };
    /** The real response's configuration (Create only). */
    configuration?: ServiceConfiguration;
  },
): Record<string, unknown> {
  const { request, configuration } = input;
  const wrappedRequest = {
    ...(request.ServiceId ? { ServiceId: request.ServiceId } : {}),
    ...(request.AcceptanceRequired !== undefined ? { AcceptanceRequired: request.AcceptanceRequired } : {}),
    ...(request.NetworkLoadBalancerArns?.length
      ? { NetworkLoadBalancerArn: taggedList(request.NetworkLoadBalancerArns) }
      : {}),
  };
  const response = configuration
    ? {
        requestId: randomUUID(),
        serviceConfiguration: {
          serviceId: configuration.ServiceId,
          serviceName: configuration.ServiceName,
          serviceState: configuration.ServiceState,
          acceptanceRequired: configuration.AcceptanceRequired,
          managesVpcEndpoints: configuration.ManagesVpcEndpoints,
        },
      }
    : { requestId: randomUUID(), return: true };
  return cloudTrailEvent({
    eventSource: EC2,
    eventName: input.eventName,
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: { [`${input.eventName}Request`]: wrappedRequest },
    responseElements: { [`${input.eventName}Response`]: response },
  });
}
