import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from './config-file';
import { registerEnforcementCommands } from './enforcement-commands';
import { EXIT, UsageError } from './errors';
import { LINT_KINDS } from './lint-kinds';
import { stripBidiFromOutput } from './terminal';

// Each command's module (and the SDK clients it needs) is imported when the command runs, so
// `--help` loads commander alone, and `rules` and `lint-policy` start without the AWS SDK.

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
      const { replay } = await import('./replay');
      process.exitCode = await replay(input, {
        json: options.json === true,
        apply: options.apply === true,
        config: await loadConfig(options.config),
      });
    });

  const config = cli
    .command('config')
    .description('validate or publish the runtime config (SSM Parameter Store; no deploy needed)');
  config
    .command('validate')
    .description('check a config exactly as the deployed functions will (offline)')
    .argument('[file]', 'config JSON; default: the config of stages/<stage>.json')
    .option('--stage <stage>', 'use stages/<stage>.json')
    .action(async (file: string | undefined, options: { stage?: string }) => {
      const { validateConfig } = await import('./config-command');
      process.exitCode = await validateConfig({ ...options, ...(file ? { file } : {}) });
    });
  config
    .command('publish')
    .description('validate, then write the config the functions of a stage read (within 60 s)')
    .argument('[file]', 'config JSON; default: the config of stages/<stage>.json')
    .option('--stage <stage>', 'the stage: parameter /driftguard/<stage>/config')
    .option('--parameter <name>', 'another parameter name')
    .addHelpText(
      'after',
      '\nWrites with the standard credential chain (AWS_REGION, AWS_ENDPOINT_URL honoured).\nExit codes: 0 published, 2 invalid config or bad usage (nothing written).',
    )
    .action(async (file: string | undefined, options: { stage?: string; parameter?: string }) => {
      const { publishConfig } = await import('./config-command');
      process.exitCode = await publishConfig({ ...options, ...(file ? { file } : {}) });
    });

  cli
    .command('demo')
    .description(
      'run the main job locally against moto: open a security group, watch it reverted and verified',
    )
    .option('--config <file>', 'driftguard config (JSON)')
    .action(async (options: { config?: string }) => {
      const { demo } = await import('./demo/index');
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
        const { audit } = await import('./audit');
        process.exitCode = await audit({ ...options, json: options.json === true });
      },
    );

  cli
    .command('sweep')
    .description(
      'judge live state in every account and region with the same guardrails (report; --apply reverts)',
    )
    .option('--accounts <ids>', 'comma-separated account ids (default: the organization, from Organizations)')
    .option('--regions <names>', 'comma-separated regions (default: the regions enabled here)')
    .option(
      '--apply',
      'run each finding through the pipeline: revert, verify, notify, audit ("found by sweep")',
    )
    .option('--json', 'the whole report as one JSON object on stdout')
    .option('--config <file>', 'driftguard config (JSON); defaults apply without one')
    .option('--concurrency <n>', 'account/region units swept at once (default 4)', positive)
    .addHelpText(
      'after',
      '\nProgress goes to stderr. Exit codes: 0 no violation, 1 violations found, 2 usage, 3 an account or region could not be swept.\nMember accounts are read through the DriftGuardRemediation role (standard credential chain; AWS_ENDPOINT_URL honoured).',
    )
    .action(
      async (options: {
        accounts?: string;
        regions?: string;
        apply?: boolean;
        json?: boolean;
        config?: string;
        concurrency?: number;
      }) => {
        const { sweep } = await import('./sweep');
        process.exitCode = await sweep({
          ...(options.accounts ? { accounts: options.accounts } : {}),
          ...(options.regions ? { regions: options.regions } : {}),
          apply: options.apply === true,
          json: options.json === true,
          config: await loadConfig(options.config),
          ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        });
      },
    );

  cli
    .command('preflight')
    .description('check the live organization has what a stage needs before its first deploy (read-only)')
    .requiredOption('--stage <stage>', 'the stage whose file (stages/<stage>.json) to check against')
    .option(
      '--management-profile <name>',
      'AWS profile of the management account (default: ambient credentials)',
    )
    .option('--security-profile <name>', 'AWS profile of the security account (default: ambient credentials)')
    .option('--json', 'the checks as one JSON object on stdout')
    .addHelpText(
      'after',
      '\nChecks: the stage file (valid, no placeholders), the organization id, StackSets trusted access and\ndelegated administrator, an organization trail logging write management events, the GuardDuty\nadministrator in every member region, and Lambda concurrency for what the stack reserves.\nExit codes: 0 ready, 1 something is missing (each with its fix), 2 usage (no such stage file),\n3 a check could not run (credentials or permissions), nothing found missing.',
    )
    .action(
      async (options: {
        stage: string;
        managementProfile?: string;
        securityProfile?: string;
        json?: boolean;
      }) => {
        const { preflight } = await import('./preflight/index');
        process.exitCode = await preflight({ ...options, json: options.json === true });
      },
    );

  const dlq = cli
    .command('dlq')
    .description('inspect and replay dead letters: events driftguard gave up on, with the reason');
  dlq
    .command('list')
    .description('list dead letters with their reason (nothing is consumed)')
    .option('--dlq <url>', 'the dead-letter queue (default DRIFTGUARD_DLQ_URL)')
    .option('--reason <text>', 'only those whose reason contains this text')
    .option('--max <n>', 'at most this many (default 1000)', positive)
    .option('--json', 'one JSON object per dead letter')
    .action(async (options: { dlq?: string; reason?: string; max?: number; json?: boolean }) => {
      const { dlqList } = await import('./dlq');
      process.exitCode = await dlqList(options);
    });
  dlq
    .command('redrive')
    .description('send dead letters back to the source queue (deleted from the DLQ only once sent)')
    .option('--dlq <url>', 'the dead-letter queue (default DRIFTGUARD_DLQ_URL)')
    .option('--to <url>', "the source queue (default DRIFTGUARD_QUEUE_URL, else the DLQ's only source queue)")
    .option('--reason <text>', 'only those whose reason contains this text')
    .option('--max <n>', 'at most this many', positive)
    .action(async (options: { dlq?: string; to?: string; reason?: string; max?: number }) => {
      const { dlqRedrive } = await import('./dlq');
      process.exitCode = await dlqRedrive(options);
    });

  cli
    .command('lint-policy')
    .description("judge a policy before it ships, with the guardrails' own analysis (no AWS calls)")
    .argument('<file>', 'the policy (JSON), or - for stdin')
    .requiredOption('--kind <kind>', LINT_KINDS.join(' | '))
    .option(
      '--org-id <id>',
      'your organization id (o-…): aws:PrincipalOrgID / aws:ResourceOrgID pins to it are inside',
    )
    .option('--account <id>', 'the account that owns the resource (always inside the trust zone)')
    .option(
      '--trusted-account <id>',
      'an account inside the trust zone (repeatable)',
      (id: string, ids: string[]) => [...ids, id],
      [],
    )
    .option(
      '--config <file>',
      'driftguard config (JSON): trust zone and rule settings (requirePerimeter, trustedPrincipals, …)',
    )
    .option(
      '--json',
      '{"kind","verdict","findings":[{"statement","sid","reason","principals","conditions"}]} on stdout',
    )
    .addHelpText(
      'after',
      '\nendpoint-service-permissions takes a JSON array of principal ARNs or {"AllowedPrincipals": [...]}.\nExit codes: 0 compliant, 1 violation, 2 bad input (not JSON, not a policy, unknown kind).\n\nExamples:\n  driftguard lint-policy bucket-policy.json --kind s3-bucket-policy --account 111122223333 --org-id o-a1b2c3d4e5\n  aws ec2 describe-vpc-endpoints --query "VpcEndpoints[0].PolicyDocument" --output text | driftguard lint-policy - --kind vpc-endpoint-policy --org-id o-a1b2c3d4e5',
    )
    .action(
      async (
        file: string,
        options: {
          kind: string;
          orgId?: string;
          account?: string;
          trustedAccount: string[];
          config?: string;
          json?: boolean;
        },
      ) => {
        const { lintPolicy } = await import('./lint-policy');
        process.exitCode = await lintPolicy(file, {
          kind: options.kind,
          ...(options.orgId ? { orgId: options.orgId } : {}),
          ...(options.account ? { account: options.account } : {}),
          trustedAccounts: options.trustedAccount,
          json: options.json === true,
          ...(options.config ? { config: await loadConfig(options.config) } : {}),
        });
      },
    );

  cli
    .command('restore-isolation')
    .description(
      'put back the security groups an instance had before the GuardDuty isolate playbook quarantined it',
    )
    .argument('<instance>', 'the isolated EC2 instance id (i-…)')
    .option('--account <id>', "the instance's account (default: the account of the current credentials)")
    .option('--region <region>', "the instance's region (default: AWS_REGION)")
    .option('--table <name>', 'the state table the isolation was recorded in (default: DRIFTGUARD_TABLE)')
    .option('--config <file>', 'driftguard config (JSON): remediation role name and external id')
    .addHelpText(
      'after',
      "\nActs in the instance's account through the remediation role (or the current credentials in their own account), re-reads the interfaces to verify, removes the isolation tags and marks the record restored. The quarantine group stays for reuse.\nThe table is read in DRIFTGUARD_TABLE_REGION, else AWS_REGION.\nExit codes: 0 restored and verified, 1 not restored (no record, already restored, verification failed), 2 bad usage.\n\nExample:\n  driftguard restore-isolation i-0a1b2c3d4e5f60718 --account 111122223333 --region eu-west-1",
    )
    .action(
      async (
        instance: string,
        options: { account?: string; region?: string; table?: string; config?: string },
      ) => {
        const { restoreIsolationCommand } = await import('./restore-isolation');
        process.exitCode = await restoreIsolationCommand(instance, {
          config: await loadConfig(options.config),
          ...(options.account ? { account: options.account } : {}),
          ...(options.region ? { region: options.region } : {}),
          ...(options.table ? { table: options.table } : {}),
        });
      },
    );

  // explain, exempt request/approve/list/revoke/check-expired
  registerEnforcementCommands(cli);

  cli
    .command('rules')
    .description('list the guardrails (the catalog)')
    .addOption(new Option('--markdown', 'print RULES.md (generated from the catalog)'))
    .action(async (options: { markdown?: boolean }) => {
      const [{ rulesMarkdown }, { CATALOG }] = await Promise.all([
        import('./rules-doc'),
        import('@driftguard/core'),
      ]);
      if (options.markdown) return void process.stdout.write(rulesMarkdown());
      for (const guardrail of CATALOG) {
        console.log(`${guardrail.id.padEnd(24)} ${guardrail.defaultMode.padEnd(7)} ${guardrail.title}`);
      }
    });
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  stripBidiFromOutput(process.stdout);
  stripBidiFromOutput(process.stderr);
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

function positive(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new UsageError(`expected a positive integer, got "${value}"`);
  return parsed;
}
