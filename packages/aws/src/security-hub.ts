import { createHash } from 'node:crypto';
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import {
  ASFF_NOTE_AUTHOR,
  ASFF_PARTITIONS,
  type AsffTarget,
  renderAsffFinding,
  resolutionNote,
  resolvesFinding,
  ticketKey,
} from '@driftguard/core';
import { DriftguardError } from './errors';
import { type Notifier, SECURITY_HUB_CHANNEL } from './notifications';

/**
 * The stable finding id of a (rule, resource): a repeat of the violation updates the same finding.
 * Hashed: resource keys are attacker-named and unbounded, ASFF ids are at most 512 characters.
 */
export function securityHubFindingId(rule: string, resource: string): string {
  const digest = createHash('sha256').update(`${rule}\n${resource}`).digest('hex').slice(0, 40);
  return `driftguard/${rule}/${digest}`;
}

/**
 * The security account and partition from the caller's own identity (read once per process, again
 * after a failure): BatchImportFindings with the default product ARN only accepts findings whose
 * AwsAccountId is the caller's account.
 */
export function callerTarget(sts: STSClient, region: string): () => Promise<AsffTarget> {
  let pending: Promise<AsffTarget> | undefined;
  return () => {
    pending ??= sts.send(new GetCallerIdentityCommand({})).then(
      ({ Account, Arn }) => {
        const partition = ASFF_PARTITIONS.find((known) => known === Arn?.split(':')[1]);
        if (!Account || !partition)
          throw new DriftguardError(
            `GetCallerIdentity returned no account or a partition ASFF does not know (${Arn})`,
          );
        return { account: Account, partition, region };
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}

/**
 * Security Hub as a notification channel. Each violation is imported (BatchImportFindings) as one
 * finding per (rule, resource). A verified revert imports it with Compliance PASSED, Workflow
 * RESOLVED and a note: that sets the workflow of a new finding; an existing one keeps its workflow
 * on import (Security Hub leaves Workflow and Note to the customer once a finding exists), so it is
 * then resolved with BatchUpdateFindings. A later violation of the same resource imports Compliance
 * FAILED, which Security Hub answers by reopening the finding (workflow NEW).
 */
export function securityHubNotifier(options: {
  client: SecurityHubClient;
  target: () => Promise<AsffTarget>;
  now?: () => number;
}): Notifier {
  const now = options.now ?? Date.now;
  return {
    channel: SECURITY_HUB_CHANNEL,
    async notify(report) {
      const key = ticketKey(report);
      if (!key) return { ok: true, detail: 'not a violation: no finding' };
      const target = await options.target();
      const id = securityHubFindingId(key.rule, key.resource);
      const at = new Date(now()).toISOString();
      const finding = renderAsffFinding(report, { id, target, now: at });
      if (!finding) return { ok: true, detail: 'not a violation: no finding' };
      const resolved = resolvesFinding(report);
      // Read before the import: only a finding that existed unresolved needs the workflow update.
      const open = resolved && (await openFinding(options.client, id, finding.ProductArn));
      const imported = await options.client.send(new BatchImportFindingsCommand({ Findings: [finding] }));
      const failure = imported.FailedFindings?.[0];
      if ((imported.FailedCount ?? 0) > 0 || failure)
        return {
          ok: false,
          detail:
            `Security Hub refused finding ${id}: ${failure?.ErrorCode ?? 'error'} ${failure?.ErrorMessage ?? ''}`.trim(),
        };
      if (open) {
        const updated = await options.client.send(
          new BatchUpdateFindingsCommand({
            FindingIdentifiers: [{ Id: id, ProductArn: finding.ProductArn }],
            Workflow: { Status: 'RESOLVED' },
            Note: { Text: resolutionNote(report), UpdatedBy: ASFF_NOTE_AUTHOR },
          }),
        );
        const unprocessed = updated.UnprocessedFindings?.[0];
        if (unprocessed)
          return {
            ok: false,
            detail:
              `finding ${id} imported, not resolved: ${unprocessed.ErrorCode ?? 'error'} ${unprocessed.ErrorMessage ?? ''}`.trim(),
          };
      }
      return { ok: true, detail: `finding ${id} ${finding.Workflow.Status}` };
    },
  };
}

/** Whether the finding exists with a workflow other than RESOLVED. */
async function openFinding(client: SecurityHubClient, id: string, productArn: string): Promise<boolean> {
  const { Findings = [] } = await client.send(
    new GetFindingsCommand({
      Filters: {
        Id: [{ Value: id, Comparison: 'EQUALS' }],
        ProductArn: [{ Value: productArn, Comparison: 'EQUALS' }],
      },
    }),
  );
  // Matched by id again: the filter is the service's, the decision is ours.
  const existing = Findings.find((finding) => finding.Id === id && finding.ProductArn === productArn);
  return existing !== undefined && existing.Workflow?.Status !== 'RESOLVED';
}
