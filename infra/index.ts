import { parseConfig } from '@driftguard/core';
import { createAlarms } from './alarms';
import { createBus } from './bus';
import { createCentralRole } from './central-role';
import { createConfigAlarm, createConfigParameter } from './config-parameter';
import type { DeploymentContext } from './context';
import { createDashboard } from './dashboard';
import { createEvaluate } from './evaluate';
import { createExemptionApi } from './exemption-api';
import { externalId, loadRandomProvider } from './external-id';

export { loadRandomProvider };

import { createMembers } from './members';
import { names } from './naming';
import { createQueues } from './queue';
import { createExemptionExpiry } from './scheduled';
import { scpText } from './scp';
import { createSecrets } from './secrets';
import { loadStageFile, resolveStage, type StageSettings, validateStageFile } from './stages';
import { createState } from './state';
import { createSweep, createSweepQueues } from './sweep';

/**
 * The whole central stack for one stage (DESIGN.md §2). `sst.config.ts` calls this (through
 * `deployDriftguard`) with the stage's file, `stages/<stage>.json`; the infra tests call it with
 * their own settings, validated the same way.
 */
export function createDriftguard(stage: string, settings: StageSettings) {
  const checked = validateStageFile(settings);
  const parsed = parseConfig(settings.config);
  if (!checked.ok || !parsed.ok) {
    const problems = [...(checked.ok ? [] : checked.problems), ...(parsed.ok ? [] : [parsed.reason])];
    throw new Error(`stage "${stage}":\n- ${problems.join('\n- ')}`);
  }
  const stageNames = names(stage);
  const account = aws.getCallerIdentityOutput().accountId;
  const partition = aws.getPartitionOutput().partition;
  const context: DeploymentContext = {
    stage,
    settings,
    // The member role carries the stage unless the stage file names it (infra/naming.ts).
    config: {
      ...parsed.config,
      remediationRoleName: settings.config.remediationRoleName ?? stageNames.remediationRole,
    },
    names: stageNames,
    // The role has this fixed name and no path (central-role.ts); a test checks the two agree.
    centralRoleArn: $interpolate`arn:${partition}:iam::${account}:role/${stageNames.functionRole}`,
    account,
    partition,
    region: aws.getRegionOutput().region,
    externalId: externalId(),
  };

  const state = createState(context);
  const queues = createQueues(context);
  const sweepQueues = createSweepQueues(context);
  const { bus, rules } = createBus(context, queues);
  const secrets = createSecrets();
  const central = createCentralRole(context, { ...state, ...queues, ...sweepQueues });
  const evaluate = createEvaluate(context, { ...central, ...state, ...queues, secrets });
  const sweep = createSweep(context, { ...central, ...state, ...queues, ...sweepQueues, secrets });
  const exemptionExpiry = createExemptionExpiry(context, { ...central, ...state, ...queues, secrets });
  const exemptionApi = createExemptionApi(context, { ...state, centralRole: central.role });
  const alarms = createAlarms(context, { topic: state.topic, ...queues, ...sweepQueues, bus, rules });
  const dashboard = createDashboard(context, { ...queues, ...sweepQueues });
  const config = {
    ...createConfigParameter(context),
    ...createConfigAlarm(context, {
      topic: state.topic,
      functions: [evaluate.fn, sweep.fn, sweep.worker, exemptionExpiry.fn, exemptionApi.fn],
    }),
  };
  const members = createMembers(context, {
    busArn: bus.arn,
    functionRoleArn: central.role.arn,
    eventPath: [evaluate.source, ...rules.map(({ target }) => target)],
  });

  return {
    context,
    state,
    queues,
    sweepQueues,
    bus,
    rules,
    secrets,
    central,
    evaluate,
    sweep,
    exemptionExpiry,
    exemptionApi,
    alarms,
    dashboard,
    config,
    members,
  };
}

/**
 * What `sst deploy` prints and the DEPLOY.md steps refer to. Every value resolves only once its
 * resource exists, which is also how the infra tests know the whole stack has been declared.
 */
export function stackOutputs(stack: ReturnType<typeof createDriftguard>) {
  return {
    bus: stack.bus.arn,
    queue: stack.queues.queue.url,
    deadLetterQueue: stack.queues.deadLetterQueue.url,
    table: stack.state.table.name,
    topic: stack.state.topic.arn,
    function: stack.evaluate.fn.arn,
    eventSource: stack.evaluate.source.uuid,
    sweep: stack.sweep.fn.arn,
    sweepSchedule: stack.sweep.schedule.nodes.schedule.arn,
    sweepWorker: stack.sweep.worker.arn,
    sweepQueue: stack.sweepQueues.sweepQueue.url,
    sweepDeadLetterQueue: stack.sweepQueues.sweepDeadLetterQueue.url,
    exemptionExpiry: stack.exemptionExpiry.fn.arn,
    /** DRIFTGUARD_EXEMPTIONS_URL for `driftguard exempt …` (AWS_IAM: calls are SigV4-signed). */
    exemptionApi: stack.exemptionApi.fn.url,
    exemptionsTable: stack.state.exemptionsTable.name,
    exemptionExpirySchedule: stack.exemptionExpiry.schedule.nodes.schedule.arn,
    centralRole: stack.central.role.arn,
    memberStackSet: stack.members.stackSet.name,
    memberExternalId: stack.context.externalId,
    /** The SCP that keeps member admins away from driftguard's footprint (DEPLOY.md; infra/scp.ts). */
    memberFootprintScp: scpText(stack.context.stage),
    configParameter: stack.config.parameter.name,
    memberRegions: stack.members.instances.regions,
    managementAccountStacks: $resolve(stack.members.management.map(({ stack }) => stack.id)),
    rules: $resolve(stack.rules.map(({ rule }) => rule.name)),
    alarms: $resolve(
      [
        stack.alarms.deadLetters,
        stack.alarms.queueAge,
        ...stack.alarms.failedInvocations,
        stack.alarms.sweepDeadLetters,
        stack.alarms.sweepUnitsUnreached,
        stack.alarms.revertsFailed,
        stack.alarms.timeToRevert,
      ].map((alarm) => alarm.name),
    ),
    dashboard: stack.dashboard.dashboardName,
  };
}

/**
 * What `sst deploy --stage <stage>` runs: the stage file (an unknown stage is an error), the member
 * regions resolved against the regions enabled in the deploying account, then the stack.
 */
export async function deployDriftguard(stage: string) {
  await loadRandomProvider();
  const file = loadStageFile(stage);
  const enabled = file.memberRegions
    ? []
    : (
        await aws.getRegions({
          filters: [{ name: 'opt-in-status', values: ['opt-in-not-required', 'opted-in'] }],
        })
      ).names;
  return stackOutputs(createDriftguard(stage, resolveStage(file, enabled)));
}
