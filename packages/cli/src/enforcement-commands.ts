import type { Command } from 'commander';
import { loadConfig } from './config-file';
import type { RequestOptions } from './exempt';

// Loaded when a command runs: the SDK clients stay out of `--help` and unrelated commands.
const loadExempt = () => import('./exempt');

const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').filter(Boolean)];

const API_HELP =
  '\nCalls the exemption API (DRIFTGUARD_EXEMPTIONS_URL, an IAM-authorized function URL) signed with your own AWS credentials (the default credential chain: env, profile, SSO). Your identity needs lambda:InvokeFunctionUrl and lambda:InvokeFunction on it.';

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
    .command('request')
    .description(
      'ask for an exemption, as your AWS identity (nothing is exempted until someone else approves)',
    )
    .requiredOption('--account <id>', 'the account whose changes it covers')
    .option('--resource <id|arn>', 'only this resource (default: every resource of the account)')
    .option('--rule <id>', 'only this guardrail (default: every guardrail)')
    .requiredOption(
      '--for <duration>',
      'how long once approved, e.g. 2h, 90m (at most exemptions.maxDuration)',
    )
    .requiredOption('--reason <text>', 'why the exemption is needed')
    .requiredOption('--ticket <ref>', 'the change or incident ticket, e.g. CHG-1234')
    .option('--url <url>', 'the exemption API (default DRIFTGUARD_EXEMPTIONS_URL)')
    .option('--json', 'the request as JSON')
    .addHelpText(
      'after',
      `\nExit codes: 0 requested, 1 failed, 2 refused (see the message).${API_HELP}\n\nExample:\n  driftguard exempt request --account 111122223333 --resource sg-0123456789abcdef0 --rule sg-open-ingress \\\n    --for 2h --reason "vendor support over SSH" --ticket CHG-1234`,
    )
    .action(async (options: RequestOptions) => {
      const { reportingFailures, exemptRequest } = await loadExempt();
      process.exitCode = await reportingFailures(() => exemptRequest(options));
    });

  exempt
    .command('approve')
    .description("approve someone else's request, as your AWS identity: the exemption starts now")
    .argument('<request-id>', 'the request id (req-…)')
    .option('--url <url>', 'the exemption API (default DRIFTGUARD_EXEMPTIONS_URL)')
    .option('--json', 'the exemption as JSON')
    .addHelpText(
      'after',
      `\nThe approver must be another principal than the requester (sessions of one IAM role are one principal). The grant is announced. Exit codes: 0 granted, 1 failed, 2 refused.${API_HELP}`,
    )
    .action(async (id: string, options: { url?: string; json?: boolean }) => {
      const { reportingFailures, exemptApprove } = await loadExempt();
      process.exitCode = await reportingFailures(() => exemptApprove(id, options));
    });

  exempt
    .command('grant', { hidden: true })
    .description('gone: use request, then approve by a second person')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async () => {
      const { exemptGrant } = await loadExempt();
      process.exitCode = await exemptGrant({});
    });

  exempt
    .command('list')
    .description('list active exemptions (or pending requests)')
    .option('--account <id>', 'only this account')
    .option('--ended', 'include ended (expired, revoked, re-checked) exemptions still kept')
    .option('--pending', 'list the requests awaiting approval instead')
    .option('--url <url>', 'the exemption API (default DRIFTGUARD_EXEMPTIONS_URL)')
    .option('--json', 'JSON array')
    .addHelpText('after', API_HELP)
    .action(
      async (options: {
        account?: string;
        ended?: boolean;
        pending?: boolean;
        url?: string;
        json?: boolean;
      }) => {
        const { reportingFailures, exemptList } = await loadExempt();
        process.exitCode = await reportingFailures(() => exemptList(options));
      },
    );

  exempt
    .command('revoke')
    .description(
      'end an exemption now, as your AWS identity; what it covered is re-checked by the next expiry check',
    )
    .argument('<id>', 'the exemption id (ex-…)')
    .option('--url <url>', 'the exemption API (default DRIFTGUARD_EXEMPTIONS_URL)')
    .option('--json', 'the revoked exemption as JSON')
    .addHelpText('after', API_HELP)
    .action(async (id: string, options: { url?: string; json?: boolean }) => {
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
