import {
  DescribeVpcEndpointServiceConfigurationsCommand,
  EC2Client,
  ModifyVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  paginateDescribeVpcEndpointServicePermissions,
} from '@aws-sdk/client-ec2';
import type {
  ModifyVpcEndpointServiceConfiguration,
  ModifyVpcEndpointServicePermissions,
  OperationResult,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { alreadyCompliant, applied, failed } from './results';

const SERVICE_GONE = 'InvalidVpcEndpointServiceId.NotFound';

/** Allowed principals of a service, all pages; undefined when the service no longer exists. */
async function allowedPrincipals(ec2: EC2Client, serviceId: string): Promise<Set<string> | undefined> {
  const principals = new Set<string>();
  try {
    for await (const page of paginateDescribeVpcEndpointServicePermissions(
      { client: ec2 },
      { ServiceId: serviceId },
    )) {
      for (const allowed of page.AllowedPrincipals ?? [])
        if (allowed.Principal) principals.add(allowed.Principal);
    }
  } catch (error) {
    if (awsErrorCode(error) === SERVICE_GONE) return undefined;
    throw error;
  }
  return principals;
}

/**
 * verify → act → verify for vpc-endpoint-service permissions: re-read the allowed principals,
 * remove only those the change added that are still there, and re-read to prove they are gone
 * (every other principal stays).
 */
export async function modifyVpcEndpointServicePermissions(
  operation: ModifyVpcEndpointServicePermissions,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const ec2 = await clients.get(EC2Client, operation.target);
  const { ServiceId, RemoveAllowedPrincipals } = operation.input;
  const before = await allowedPrincipals(ec2, ServiceId);
  if (!before) return alreadyCompliant(operation, `${ServiceId} no longer exists`);
  const present = RemoveAllowedPrincipals.filter((principal) => before.has(principal));
  if (present.length === 0) {
    return alreadyCompliant(
      operation,
      `none of ${RemoveAllowedPrincipals.join(', ')} is allowed on ${ServiceId} any more`,
    );
  }
  await ec2.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId, RemoveAllowedPrincipals: present }),
  );
  const after = await allowedPrincipals(ec2, ServiceId);
  const remaining = present.filter((principal) => after?.has(principal));
  if (remaining.length > 0) {
    return failed(operation, `re-read of ${ServiceId} still allows ${remaining.join(', ')}`);
  }
  return applied(operation, `removed ${present.join(', ')} from ${ServiceId}`, present);
}

async function acceptanceRequired(ec2: EC2Client, serviceId: string): Promise<boolean | undefined | 'gone'> {
  try {
    const { ServiceConfigurations } = await ec2.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] }),
    );
    const configuration = ServiceConfigurations?.find((c) => c.ServiceId === serviceId);
    return configuration ? configuration.AcceptanceRequired : 'gone';
  } catch (error) {
    if (awsErrorCode(error) === SERVICE_GONE) return 'gone';
    throw error;
  }
}

/** verify → act → verify for vpc-endpoint-service acceptance: AcceptanceRequired back to true. */
export async function modifyVpcEndpointServiceConfiguration(
  operation: ModifyVpcEndpointServiceConfiguration,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const ec2 = await clients.get(EC2Client, operation.target);
  const { ServiceId } = operation.input;
  const before = await acceptanceRequired(ec2, ServiceId);
  if (before === 'gone') {
    return alreadyCompliant(operation, `${ServiceId} no longer exists`);
  }
  if (before === true) {
    return alreadyCompliant(operation, `${ServiceId} already requires acceptance`);
  }
  await ec2.send(new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId, AcceptanceRequired: true }));
  const after = await acceptanceRequired(ec2, ServiceId);
  if (after !== true) {
    return failed(operation, `re-read of ${ServiceId} shows AcceptanceRequired=${String(after)}`);
  }
  return applied(operation, `${ServiceId} requires acceptance again`, [
    `${ServiceId} AcceptanceRequired=true`,
  ]);
}
