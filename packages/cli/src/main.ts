import { CATALOG } from '@driftguard/core';
import { Command, CommanderError, Option } from 'commander';
import { audit } from './audit';
import { loadConfig } from './config-file';
import { demo } from './demo/index';
import { replay } from './replay';
import { rulesMarkdown } from './rules-doc';
import { EXIT, UsageError } from './usage';

function program(): Command {
  const cli = new Command('driftguard')
    .description('Zero-trust drift remediation for AWS: decide, revert exactly, verify, alert.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  cli
    .command('replay')
    .description('show what driftguard would do with CloudTrail logs or EventBridge events (no AWS calls)')
    .argument('<input>', 'a file (.json, .json.gz, .ndjson), a directory (recursive), or - for stdin')
    .option('--json', 'one JSON object per input event on stdout')
    .option('--config <file>', 'driftguard config (JSON); defaults apply without one')
    .option(
      '--apply',
      'execute the reverts against AWS (standard credential chain, AWS_ENDPOINT_URL honoured)',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 no violation, 1 violations found, 2 bad input or usage.\n\nExamples:\n  driftguard replay ./cloudtrail-logs/\n  aws s3 cp s3://trail/…/log.json.gz - | driftguard replay - --json',
    )
    .action(async (input: string, options: { json?: boolean; config?: string; apply?: boolean }) => {
      process.exitCode = await replay(input, {
        json: options.json === true,
        apply: options.apply === true,
        config: await loadConfig(options.config),
      });
    });

  cli
    .command('demo')
    .description(
      'run the main job locally against moto: open a security group, watch it reverted and verified',
    )
    .option('--config <file>', 'driftguard config (JSON)')
    .action(async (options: { config?: string }) => {
      process.exitCode = await demo(await loadConfig(options.config));
    });

  cli
    .command('audit')
    .description('list the audit trail: one record per processed event (state table DRIFTGUARD_TABLE)')
    .option('--since <when>', 'event time window: 30m, 24h, 7d, 2w or an ISO date', '24h')
    .option('--rule <id>', 'only this guardrail')
    .option('--account <id>', 'only this account')
    .option('--limit <n>', 'at most n records (newest first)')
    .option('--json', 'one JSON object per record on stdout')
    .addHelpText(
      'after',
      '\nReads DRIFTGUARD_TABLE with the standard credential chain (AWS_REGION, AWS_ENDPOINT_URL honoured).\nExit codes: 0 listed (possibly nothing), 2 bad usage or unreadable table.\n\nExamples:\n  driftguard audit --since 7d --rule sg-open-ingress\n  driftguard audit --account 111122223333 --json | jq .outcome',
    )
    .action(
      async (options: { since: string; rule?: string; account?: string; limit?: string; json?: boolean }) => {
        process.exitCode = await audit({ ...options, json: options.json === true });
      },
    );

  cli
    .command('rules')
    .description('list the guardrails (the catalog)')
    .addOption(new Option('--markdown', 'print RULES.md (generated from the catalog)'))
    .action((options: { markdown?: boolean }) => {
      if (options.markdown) return void process.stdout.write(rulesMarkdown());
      for (const guardrail of CATALOG) {
        console.log(`${guardrail.id.padEnd(24)} ${guardrail.defaultMode.padEnd(7)} ${guardrail.title}`);
      }
    });
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`driftguard: ${error.message}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    throw error;
  }
}
