import type { Statement } from './document';

/**
 * AWS service integrations a bucket policy statement may carry. Removing such a statement stops the
 * integration at once (audit logs stop arriving, replicas go stale), which hurts more than the
 * exposure it closes: driftguard alerts on it with the reason instead of removing it.
 */
const SERVICE_INTEGRATIONS: Readonly<Record<string, string>> = {
  'cloudtrail.amazonaws.com': 'CloudTrail log delivery',
  'config.amazonaws.com': 'AWS Config delivery',
  'logging.s3.amazonaws.com': 'S3 server access log delivery',
  'delivery.logs.amazonaws.com': 'vended log delivery (VPC Flow Logs, CloudWatch Logs, …)',
  'logdelivery.elasticloadbalancing.amazonaws.com': 'Elastic Load Balancing access log delivery',
  's3.amazonaws.com': 'S3 Inventory, Storage Lens and analytics export delivery',
  'billingreports.amazonaws.com': 'Cost and Usage Report delivery',
  'guardduty.amazonaws.com': 'GuardDuty findings export',
};

/** What a replication role writes into a destination bucket (S3 user guide, "Replicating objects"). */
const REPLICATION_ACTIONS = new Set([
  's3:replicateobject',
  's3:replicatedelete',
  's3:replicatetags',
  's3:objectowneroverridetobucketowner',
]);

/** The AWS service integration `statement` serves, in words, or undefined when it serves none. */
export function serviceIntegration(statement: Statement): string | undefined {
  if (statement.effect !== 'Allow' || statement.principal?.kind !== 'entries') return undefined;
  const services = statement.principal.entries
    .filter((entry) => entry.type === 'Service')
    .map((entry) => SERVICE_INTEGRATIONS[entry.value.toLowerCase()])
    .filter((name): name is string => name !== undefined);
  if (services.length > 0) return [...new Set(services)].join(', ');
  const actions = (statement.actions ?? []).map((action) => action.toLowerCase());
  if (actions.some((action) => REPLICATION_ACTIONS.has(action)))
    return 'S3 replication into this bucket (s3:Replicate* for the source account’s replication role)';
  return undefined;
}
