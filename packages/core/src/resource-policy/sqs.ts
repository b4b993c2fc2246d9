import { isRecord, toStr } from '../events/ec2-sets';
import type { PolicyChange, ResourcePolicyAdapter } from './adapter';
import { accountOf } from './adapter';

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (also the legacy `queue.amazonaws.com` form). */
const QUEUE_URL = /^https?:\/\/[^/]+\/(\d{12})\/([\w-]+(?:\.fifo)?)\/?$/;

/**
 * SQS SetQueueAttributes (and CreateQueue, whose URL is in `responseElements.queueUrl`). CloudTrail records `requestParameters.queueUrl` and the `attributes` map as
 * sent, the policy as JSON text under `attributes.Policy` (AWS SQS developer guide, "Logging Amazon
 * SQS API calls using AWS CloudTrail"; Panther's AWS.CloudTrail.ResourceMadePublic test records).
 * The console sends every attribute at once, with `"Policy": ""` when the queue has none: only a
 * non-empty Policy sets one.
 */
export const sqsQueuePolicy: ResourcePolicyAdapter = {
  service: 'sqs',
  noun: 'SQS queue',
  eventSource: 'sqs.amazonaws.com',
  eventNames: ['SetQueueAttributes', 'CreateQueue'],
  doc: 'SQS queue: SetQueueAttributes or CreateQueue with a non-empty `Policy` attribute (CreateQueue: the URL from `responseElements.queueUrl`) (the console sends every attribute, `"Policy": ""` when clearing it: not applicable). Written back with SetQueueAttributes; `Policy: ""` removes the policy when no statement remains.',
  read(change) {
    const queueUrl = toStr(change.request.queueUrl) ?? toStr(change.response.queueUrl);
    if (!queueUrl) return { notApplicable: 'the record names no queue (queueUrl)' };
    const attributes = isRecord(change.request.attributes) ? change.request.attributes : {};
    if (!('Policy' in attributes)) return { notApplicable: `no Policy attribute was set on ${queueUrl}` };
    const policy = attributes.Policy;
    if (policy === '' || policy === null)
      return { notApplicable: `the policy of ${queueUrl} was removed: no policy grants nothing` };
    const [, urlAccount, name = queueUrl] = QUEUE_URL.exec(queueUrl) ?? [];
    const owner = accountOf(urlAccount) ?? change.account;
    const region = change.region;
    const found: PolicyChange = {
      resource: { type: 'AWS::SQS::Queue', id: name, arn: `arn:aws:sqs:${region}:${owner}:${name}` },
      owner,
      region,
      policy,
      revert: (kept, common) => ({
        ok: true,
        operation: {
          service: 'sqs',
          operation: 'SetQueueAttributes',
          ...common,
          input: { QueueUrl: queueUrl, Attributes: { Policy: kept ? JSON.stringify(kept) : '' } },
        },
      }),
    };
    return found;
  },
};
