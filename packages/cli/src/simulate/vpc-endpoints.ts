import { randomUUID } from 'node:crypto';
import {
  CreateVpcEndpointCommand,
  type CreateVpcEndpointCommandInput,
  type EC2Client,
  ModifyVpcEndpointCommand,
  type ModifyVpcEndpointCommandInput,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { cloudTrailEvent, type SimulatedActor } from './cloudtrail';

/**
 * CloudTrail records of the VPC endpoint calls, built from the real request and response. The
 * newer EC2 APIs wrap their parameters: `requestParameters.CreateVpcEndpointRequest` in PascalCase
 * with `PolicyDocument` as a string and lists as `{tag, content}` items, and
 * `responseElements.CreateVpcEndpointResponse.vpcEndpoint` in camelCase with XML-style sets.
 */
interface Where {
  account: string;
  region: string;
  actor?: SimulatedActor;
}

const EC2 = 'ec2.amazonaws.com';

function taggedList(values: readonly string[] | undefined): unknown {
  const items = (values ?? []).map((content, index) => ({ tag: index + 1, content }));
  return items.length === 1 ? items[0] : items;
}

function itemSet(values: readonly string[] | undefined): unknown {
  if (!values || values.length === 0) return {};
  return { item: values.length === 1 ? values[0] : [...values] };
}

function endpointToCloudTrail(endpoint: VpcEndpoint): Record<string, unknown> {
  return {
    vpcEndpointId: endpoint.VpcEndpointId,
    vpcEndpointType: endpoint.VpcEndpointType,
    vpcId: endpoint.VpcId,
    serviceName: endpoint.ServiceName,
    state: endpoint.State,
    ...(endpoint.PolicyDocument ? { policyDocument: endpoint.PolicyDocument } : {}),
    routeTableIdSet: itemSet(endpoint.RouteTableIds),
    subnetIdSet: itemSet(endpoint.SubnetIds),
    groupSet: {},
    privateDnsEnabled: endpoint.PrivateDnsEnabled ?? false,
    requesterManaged: endpoint.RequesterManaged ?? false,
    networkInterfaceIdSet: itemSet(endpoint.NetworkInterfaceIds),
    dnsEntrySet: {},
    creationTimestamp: (endpoint.CreationTimestamp ?? new Date()).getTime(),
    ownerId: endpoint.OwnerId,
  };
}

/** The CreateVpcEndpoint record for a real call and its real response. */
export function createVpcEndpointEvent(
  input: Where & { request: CreateVpcEndpointCommandInput; endpoint: VpcEndpoint },
): Record<string, unknown> {
  const { request } = input;
  return cloudTrailEvent({
    eventSource: EC2,
    eventName: 'CreateVpcEndpoint',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      CreateVpcEndpointRequest: {
        VpcId: request.VpcId,
        ServiceName: request.ServiceName,
        ...(request.VpcEndpointType ? { VpcEndpointType: request.VpcEndpointType } : {}),
        ...(request.PolicyDocument ? { PolicyDocument: request.PolicyDocument } : {}),
        ...(request.RouteTableIds?.length ? { RouteTableId: taggedList(request.RouteTableIds) } : {}),
        ...(request.SubnetIds?.length ? { SubnetId: taggedList(request.SubnetIds) } : {}),
      },
    },
    responseElements: {
      CreateVpcEndpointResponse: {
        xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
        vpcEndpoint: endpointToCloudTrail(input.endpoint),
        requestId: randomUUID(),
      },
    },
  });
}

/** Creates an endpoint for real and returns its id and CreateVpcEndpoint record. */
export async function createVpcEndpointForReal(
  ec2: EC2Client,
  input: Where & { request: CreateVpcEndpointCommandInput },
): Promise<{ endpointId: string; event: Record<string, unknown> }> {
  const { VpcEndpoint: endpoint } = await ec2.send(new CreateVpcEndpointCommand(input.request));
  if (!endpoint?.VpcEndpointId) throw new Error('CreateVpcEndpoint returned no endpoint');
  return { endpointId: endpoint.VpcEndpointId, event: createVpcEndpointEvent({ ...input, endpoint }) };
}

/** The ModifyVpcEndpoint record for a real call (the response only says it worked). */
export function modifyVpcEndpointEvent(
  input: Where & { request: ModifyVpcEndpointCommandInput },
): Record<string, unknown> {
  const { request } = input;
  return cloudTrailEvent({
    eventSource: EC2,
    eventName: 'ModifyVpcEndpoint',
    account: input.account,
    region: input.region,
    actor: input.actor,
    requestParameters: {
      ModifyVpcEndpointRequest: {
        VpcEndpointId: request.VpcEndpointId,
        ...(request.PolicyDocument ? { PolicyDocument: request.PolicyDocument } : {}),
        ...(request.ResetPolicy !== undefined ? { ResetPolicy: request.ResetPolicy } : {}),
        ...(request.AddRouteTableIds?.length
          ? { AddRouteTableId: taggedList(request.AddRouteTableIds) }
          : {}),
      },
    },
    responseElements: {
      ModifyVpcEndpointResponse: {
        xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/',
        return: true,
        requestId: randomUUID(),
      },
    },
  });
}

/** Modifies an endpoint for real and returns the record. */
export async function modifyVpcEndpointForReal(
  ec2: EC2Client,
  input: Where & { request: ModifyVpcEndpointCommandInput },
): Promise<Record<string, unknown>> {
  await ec2.send(new ModifyVpcEndpointCommand(input.request));
  return modifyVpcEndpointEvent(input);
}
