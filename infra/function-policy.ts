import permissions from './permissions.json';
import type { PolicyDocument, PolicyStatement } from './policies';

/**
 * The evaluate function's identity policy, written action by action (no `link` wildcards):
 * the actions its code needs (derived from the SDK calls, infra/permissions.json) plus what the
 * Lambda platform needs on its behalf (below), each scoped to the one resource it is for.
 *
 * SST secrets need no statement: SST encrypts linked values into the function bundle, and the
 * function decrypts them with a key from its environment, not from AWS.
 */

/** The central actions derived from the code. */
export const CENTRAL_ACTIONS: readonly string[] = Object.keys(permissions.central).sort();

/** Actions the platform performs with the function's role, not the function's code. */
export const PLATFORM_ACTIONS: Record<string, string> = {
  'sqs:ReceiveMessage':
    'the SQS event source mappings poll the buffer queue and the sweep work queue with the function role',
  'sqs:DeleteMessage': 'the event source mappings delete messages the batch processed',
  'sqs:GetQueueAttributes': 'the event source mappings read the queue settings',
  'kms:GenerateDataKey': 'sns:Publish to a KMS-encrypted topic needs a data key',
  'kms:Decrypt': 'sns:Publish to a KMS-encrypted topic needs a data key',
  'logs:CreateLogStream': 'Lambda writes each function’s logs to its log group (created by the stack)',
  'logs:PutLogEvents': 'Lambda writes each function’s logs to its log group',
};

export interface FunctionResources {
  partition: string;
  /** The security account: Security Hub findings go to its default product and hub. */
  account: string;
  tableArn: string;
  /** Exemptions (their own table): read by the decision, uses recorded, re-checks marked. */
  exemptionsTableArn: string;
  topicArn: string;
  topicKeyArn: string;
  queueArn: string;
  deadLetterQueueArn: string;
  /** The sweep's work queue: the planner sends units to it, the worker's event source reads them. */
  sweepQueueArn: string;
  /** The log groups of the functions running with this role. */
  logGroupArns: string[];
  organizationId: string;
  remediationRoleName: string;
  /** The SSM parameter holding the runtime config (infra/config-parameter.ts). */
  configParameterArn: string;
}

export class UnscopedActionError extends Error {}

/** Where each derived action may act. A new service in the code must be scoped here first. */
function scopeOf(action: string, r: FunctionResources): Omit<PolicyStatement, 'Effect' | 'Action'> {
  const service = action.split(':')[0];
  switch (service) {
    case 'dynamodb':
      return { Sid: 'StateTable', Resource: [r.tableArn, `${r.tableArn}/index/*`, r.exemptionsTableArn] };
    case 'sns':
      return { Sid: 'AlertsTopic', Resource: r.topicArn };
    case 'sqs':
      // The sweep planner's batches of units (packages/aws/src/sweep-fanout/work-queue.ts).
      if (action === 'sqs:SendMessageBatch') return { Sid: 'SweepWorkQueue', Resource: r.sweepQueueArn };
      // The function's own sends are the bad-input path to the DLQ (packages/aws/src/dead-letter.ts).
      return { Sid: 'DeadLetterQueue', Resource: r.deadLetterQueueArn };
    case 'sts':
      return {
        Sid: 'AssumeMemberRemediationRole',
        Resource: `arn:${r.partition}:iam::*:role/${r.remediationRoleName}`,
        // Only roles of our own organization, whatever account they are in.
        Condition: { StringEquals: { 'aws:ResourceOrgID': r.organizationId } },
      };
    case 'ec2':
      if (action === 'ec2:DescribeRegions') {
        // The sweep lists the regions enabled here (packages/aws/src/regions.ts); no resource scope exists.
        return { Sid: 'EnabledRegions', Resource: '*' };
      }
      break;
    case 'ssm':
      // The runtime config, read through Powertools Parameters (packages/aws/src/runtime-loader.ts).
      return { Sid: 'ConfigParameter', Resource: r.configParameterArn };
    case 'securityhub':
      // Findings of the account's own default product (packages/aws/src/security-hub.ts), in any
      // region (notifications.securityHub.region): imports authorize on the product, reads and
      // workflow updates on the hub.
      return action === 'securityhub:BatchImportFindings'
        ? {
            Sid: 'SecurityHubImport',
            Resource: `arn:${r.partition}:securityhub:*:${r.account}:product/${r.account}/default`,
          }
        : {
            Sid: 'SecurityHubFindings',
            Resource: `arn:${r.partition}:securityhub:*:${r.account}:hub/default`,
          };
    case 'organizations':
      // The trust zone is the organization's account list; these reads have no resource scope.
      return { Sid: 'OrganizationAccounts', Resource: '*' };
  }
  throw new UnscopedActionError(
    `the central function's code needs ${action}, but infra/function-policy.ts has no resource scope for it. If the call runs in member accounts (with the remediation role), add its file to MEMBER_CODE in infra/permissions/derive.ts; otherwise add a scope here.`,
  );
}

export function functionPolicy(
  resources: FunctionResources,
  actions: readonly string[] = CENTRAL_ACTIONS,
): PolicyDocument {
  const statements = new Map<string, PolicyStatement>();
  const add = (action: string, scope: Omit<PolicyStatement, 'Effect' | 'Action'>) => {
    const key = scope.Sid ?? action;
    const existing = statements.get(key);
    if (existing) {
      existing.Action = [...new Set([...(existing.Action as string[]), action])].sort();
      return;
    }
    statements.set(key, { ...scope, Effect: 'Allow', Action: [action] });
  };

  for (const action of actions) add(action, scopeOf(action, resources));
  const consumed = [resources.queueArn, resources.sweepQueueArn];
  add('sqs:ReceiveMessage', { Sid: 'ConsumeQueues', Resource: consumed });
  add('sqs:DeleteMessage', { Sid: 'ConsumeQueues', Resource: consumed });
  add('sqs:GetQueueAttributes', { Sid: 'ConsumeQueues', Resource: consumed });
  add('kms:GenerateDataKey', { Sid: 'EncryptForAlertsTopic', Resource: resources.topicKeyArn });
  add('kms:Decrypt', { Sid: 'EncryptForAlertsTopic', Resource: resources.topicKeyArn });
  const logs = resources.logGroupArns.map((arn) => `${arn}:*`);
  add('logs:CreateLogStream', { Sid: 'FunctionLogs', Resource: logs });
  add('logs:PutLogEvents', { Sid: 'FunctionLogs', Resource: logs });

  return { Version: '2012-10-17', Statement: [...statements.values()] };
}
