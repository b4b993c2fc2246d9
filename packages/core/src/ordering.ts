import type { Change } from './events/change';
import { isRecord } from './events/ec2-sets';

/**
 * Out-of-order delivery (EventBridge and SQS promise neither order nor uniqueness).
 *
 * Most calls *add* something — a security-group rule, a principal, a peering — and each is judged on
 * its own: an older one arriving late still names its own rules, and the executor acts only on what
 * live state still shows. Some calls instead *set the whole of one document*: a bucket policy, a
 * public access block, an endpoint policy, an endpoint service's acceptance setting. Once a newer
 * call has set that document, an older call describes state that no longer exists; acting on it
 * could put back something the newer call replaced. For these the pipeline keeps a per-document
 * high-water mark of `eventTime` and does not act on an event older than the mark.
 *
 * The aspect names the document, so a bucket's policy and its public access block are ordered
 * independently. Undefined means the call adds rather than replaces, or does not touch a document
 * (a ModifyVpcEndpoint that only changes subnets does not set the policy).
 */
export function stateAspect(
  change: Pick<Change, 'eventSource' | 'eventName' | 'request'>,
): string | undefined {
  const { eventSource, eventName } = change;
  if (eventSource === 's3.amazonaws.com') {
    if (eventName === 'PutBucketPolicy' || eventName === 'DeleteBucketPolicy') return 'bucket-policy';
    if (eventName === 'PutBucketPublicAccessBlock' || eventName === 'DeleteBucketPublicAccessBlock')
      return 'bucket-public-access-block';
  }
  if (eventSource === 's3.amazonaws.com' || eventSource === 's3control.amazonaws.com') {
    if (eventName === 'PutAccountPublicAccessBlock' || eventName === 'DeleteAccountPublicAccessBlock')
      return 'account-public-access-block';
    if (eventName === 'PutAccessPointPolicy') return 'access-point-policy';
  }
  if (eventSource !== 'ec2.amazonaws.com') return undefined;
  if (eventName === 'CreateVpcEndpoint') return 'endpoint-policy';
  if (eventName === 'ModifyVpcEndpoint') {
    const request = unwrapped(change.request, 'ModifyVpcEndpointRequest');
    const setsPolicy = ['PolicyDocument', 'policyDocument', 'ResetPolicy', 'resetPolicy'].some(
      (key) => request[key] !== undefined && request[key] !== null,
    );
    return setsPolicy ? 'endpoint-policy' : undefined;
  }
  if (
    eventName === 'CreateVpcEndpointServiceConfiguration' ||
    eventName === 'ModifyVpcEndpointServiceConfiguration'
  ) {
    const request = unwrapped(change.request, `${eventName}Request`);
    const setsAcceptance = ['AcceptanceRequired', 'acceptanceRequired'].some(
      (key) => request[key] !== undefined && request[key] !== null,
    );
    return setsAcceptance ? 'endpoint-service-acceptance' : undefined;
  }
  return undefined;
}

function unwrapped(request: Record<string, unknown>, key: string): Record<string, unknown> {
  const inner = request[key];
  return isRecord(inner) ? inner : request;
}

/**
 * A canonical, comparable form of an event time (CloudTrail writes seconds, GuardDuty
 * milliseconds): ISO 8601 with milliseconds, or undefined when the text is not a time.
 */
export function canonicalTime(text: string): string | undefined {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
