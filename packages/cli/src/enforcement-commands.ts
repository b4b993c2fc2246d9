import type { Command } from 'commander';
import { loadConfig } from './config-file';
import type { GrantOptions } from './exempt';

// Loaded when a command runs: the SDK clients stay out of `--help` and unrelated commands.
const loadExempt = () => import('./exempt');

const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').filter(Boolean)];

const TABLE_HELP =
  '\nThe state table is DRIFTGUARD_TABLE (in AWS_REGION; AWS_ENDPOINT_URL honoured). The config comes from --config, else DRIFTGUARD_CONFIG; exemptions must be enabled in it ("exemptions": { "enabled": true }).';

/** `driftguard explain` and `driftguard exempt …` (enforcement: modes, overrides, exemptions). */
export function registerEnforcementCommands(cli: Command): void {
  cli
    .command('explain')
    .description(
      'say which guardrail saw an event, and which setting decided the action and why, step by step',
    )
    .requiredOption(
      '--event <file>',
      'an EventBridge event or CloudTrail record (.json, .ndjson, a directory, - for stdin)',
    )
    .option('--config <file>', 'driftguard config (JSON); defaults apply without one')
    .option(
      '--ou <id>',
      "the account's OUs, nearest first (repeat or comma-separate); offline OU overrides need it",
      collect,
      [],
    )
    .option(
      '--live',
      'read the OUs (Organizations), exemptions and circuit-breaker state (DRIFTGUARD_TABLE) from AWS',
    )
    .option('--at <time>', 'decide as of this ISO time (exemptions are judged at it); default now')
    .option('--json', 'one JSON object per event')
    .addHelpText(
      'after',
      '\nExit codes: 0 explained, 2 bad input or usage.\n\nExamples:\n  driftguard explain --event event.json --config driftguard.json --ou ou-ab12-payments,ou-ab12-workload\n  driftguard explain --event event.json --live --json',
    )
    .action(
      async (options: {
        event: string;
        config?: string;
        ou: string[];
        live?: boolean;
        at?: string;
        json?: boolean;
      }) => {
        const { explain } = await import('./explain');
        process.exitCode = await explain(options.event, {
          config: await loadConfig(options.config),
          ou: options.ou,
          live: options.live === true,
          ...(options.at ? { at: options.at } : {}),
          json: options.json === true,
        });
      },
    );

  const exempt = cli
    .command('exempt')
    .description('break-glass exemptions: violations in scope are alerted on, not reverted, until they end');

  exempt
    .command('grant')
    .description('grant an exemption (approved by a second person; at most exemptions.maxDuration)')
    .requiredOption('--account <id>', 'the account whose changes it covers')
    .option('--resource <id|arn>', 'only this resource (default: every resource of the account)')
    .option('--rule <id>', 'only this guardrail (default: every guardrail)')
    .requiredOption('--for <duration>', 'how long, e.g. 2h, 90m (at most exemptions.maxDuration)')
    .requiredOption('--reason <text>', 'why the exemption is needed')
    .requiredOption('--ticket <ref>', 'the change or incident ticket, e.g. CHG-1234')
    .requiredOption('--approver <who>', 'who approved it: not the requester (two-person rule)')
    .option('--requester <who>', 'who asked for it (default: your identity, from STS GetCallerIdentity)')
    .option('--config <file>', 'driftguard config (JSON); default DRIFTGUARD_CONFIG')
    .option('--json', 'the exemption as JSON')
    .addHelpText(
      'after',
      `\nThe grant is announced (DRIFTGUARD_TOPIC_ARN). Exit codes: 0 granted, 1 AWS refused, 2 refused (see the message).${TABLE_HELP}\n\nExample:\n  driftguard exempt grant --account 111122223333 --resource sg-0123456789abcdef0 --rule sg-open-ingress \\\n    --for 2h --reason "vendor support over SSH" --ticket CHG-1234 --approver bob@example.com`,
    )
    .action(async (options: GrantOptions) => {
      const { reportingFailures, exemptGrant } = await loadExempt();
      process.exitCode = await reportingFailures(() => exemptGrant(options));
    });

  exempt
    .command('list')
    .description('list active exemptions')
    .option('--account <id>', 'only this account')
    .option('--ended', 'include ended (expired, revoked, re-checked) exemptions still kept')
    .option('--config <file>', 'driftguard config (JSON); default DRIFTGUARD_CONFIG')
    .option('--json', 'JSON array')
    .addHelpText('after', TABLE_HELP)
    .action(async (options: { account?: string; ended?: boolean; config?: string; json?: boolean }) => {
      const { reportingFailures, exemptList } = await loadExempt();
      process.exitCode = await reportingFailures(() => exemptList(options));
    });

  exempt
    .command('revoke')
    .description('end an exemption now; what it covered is re-checked by the next expiry check')
    .argument('<id>', 'the exemption id (ex-…)')
    .option('--by <who>', 'who revokes it (default: your identity, from STS GetCallerIdentity)')
    .option('--config <file>', 'driftguard config (JSON); default DRIFTGUARD_CONFIG')
    .option('--json', 'the revoked exemption as JSON')
    .addHelpText('after', TABLE_HELP)
    .action(async (id: string, options: { by?: string; config?: string; json?: boolean }) => {
      const { reportingFailures, exemptRevoke } = await loadExempt();
      process.exitCode = await reportingFailures(() => exemptRevoke(id, options));
    });

  exempt
    .command('check-expired')
    .description(
      're-check the changes ended exemptions covered, reverting what still violates (the scheduled check)',
    )
    .option('--config <file>', 'driftguard config (JSON); default DRIFTGUARD_CONFIG')
    .option('--json', 'the checks as JSON')
    .addHelpText(
      'after',
      `\nRuns the same pipeline as the evaluate function (remediation role, verify → act → verify). Exit codes: 0 done, 1 AWS failed, 2 usage, 3 a re-check failed (it is retried on the next run).${TABLE_HELP}`,
    )
    .action(async (options: { config?: string; json?: boolean }) => {
      const { reportingFailures, exemptCheckExpired } = await loadExempt();
      process.exitCode = await reportingFailures(() => exemptCheckExpired(options));
    });
}
