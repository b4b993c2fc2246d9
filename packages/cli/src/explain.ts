import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  accountPlacementReader,
  clientConfig,
  createEnforcement,
  dynamoBreakerStore,
  dynamoExemptionStore,
  type Enforcement,
  stateDocumentClient,
} from '@driftguard/aws';
import {
  type Assessment,
  assessFinding,
  type Change,
  type Config,
  decideChange,
  type EnforcementContext,
  evaluateChange,
  normalizeEvent,
  OU_ID_PATTERN,
} from '@driftguard/core';
import { EXIT, InputError, UsageError } from './errors';
import { bold, describeOperation, dim, red } from './format';
import { readInputs } from './input';

export interface ExplainOptions {
  config: Config;
  /** The account's OUs, nearest first (offline: OU overrides apply only when these are given). */
  ou?: string[];
  /** Read OUs (Organizations), exemptions and circuit-breaker state (DRIFTGUARD_TABLE) live. */
  live?: boolean;
  /** Decide as of this time (ISO); default now. Exemptions are judged at this instant. */
  at?: string;
  json?: boolean;
  env?: NodeJS.ProcessEnv;
  out?: NodeJS.WritableStream;
}

function liveEnforcement(config: Config, env: NodeJS.ProcessEnv, now: number): Enforcement {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL;
  const table = env.DRIFTGUARD_TABLE;
  const ddb = table
    ? stateDocumentClient(new DynamoDBClient(clientConfig({ region, endpoint, maxAttempts: 2 })))
    : undefined;
  return createEnforcement({
    config,
    now: () => now,
    placement: accountPlacementReader({
      organizations: new OrganizationsClient(clientConfig({ region: 'us-east-1', endpoint, maxAttempts: 2 })),
      onError: (message) => process.stderr.write(`driftguard: ${message}; OU overrides not applied\n`),
    }),
    ...(table && ddb
      ? { exemptions: dynamoExemptionStore(ddb, table), breakers: dynamoBreakerStore(ddb, table) }
      : {}),
  });
}

function explainJson(assessment: Assessment) {
  return {
    event: assessment.event,
    status: assessment.status,
    rule: assessment.rule ?? null,
    action: assessment.action,
    decision: assessment.decisionReason,
    ...(assessment.wouldBe ? { wouldBe: assessment.wouldBe } : {}),
    results: assessment.results.map(({ rule, verdict, decision }) => ({
      rule,
      verdict: verdict.kind,
      ...(verdict.kind === 'violation' ? { severity: verdict.severity, resource: verdict.resource } : {}),
      summary: verdict.summary,
      action: decision.action,
      reason: decision.reason,
      ...(decision.setting ? { setting: decision.setting } : {}),
      ...(decision.wouldBe ? { wouldBe: decision.wouldBe } : {}),
      ...(decision.iac ? { infrastructureAsCode: decision.iac } : {}),
      ...(decision.exemption ? { exemption: decision.exemption } : {}),
      ...(decision.breaker ? { circuitBreaker: decision.breaker } : {}),
      steps: decision.trace ?? [],
    })),
    operations: assessment.operations.map(({ service, operation, input }) => ({ service, operation, input })),
  };
}

function explainText(assessment: Assessment): string {
  const { event } = assessment;
  const lines = [
    bold(`${event.eventName} in ${event.account}/${event.region} at ${event.eventTime}`),
    `  by ${event.actor} (${event.actorType})${event.sourceIp ? ` from ${event.sourceIp}` : ''}, event ${event.eventId}`,
  ];
  if (assessment.results.length === 0) {
    lines.push(
      `  ${assessment.status}: ${assessment.reason}`,
      `  decision: ${assessment.action} — ${assessment.decisionReason}`,
    );
    return lines.join('\n');
  }
  for (const { rule, verdict, decision } of assessment.results) {
    const verdictText = verdict.kind === 'violation' ? red(`violation (${verdict.severity})`) : verdict.kind;
    lines.push('', `${bold(rule)}: ${verdictText} — ${verdict.summary}`);
    if (verdict.kind === 'violation')
      for (const offense of verdict.offenses) lines.push(dim(`    • ${offense.reason}`));
    lines.push(
      `  action: ${bold(decision.action)}${decision.wouldBe ? ` (would have ${decision.wouldBe})` : ''}`,
      `  because: ${decision.reason}`,
    );
    const steps = decision.trace ?? [];
    if (steps.length > 0) {
      lines.push('  how it was decided:');
      lines.push(...steps.map((step, index) => dim(`    ${index + 1}. ${step.trim()}`)));
    }
  }
  lines.push('');
  if (assessment.operations.length === 0) lines.push('plan: nothing is executed');
  else {
    const label = assessment.action === 'revert' ? 'plan' : 'would-be plan (not executed)';
    for (const operation of assessment.operations) lines.push(`${label}: ${describeOperation(operation)}`);
  }
  return lines.join('\n');
}

/**
 * `driftguard explain --event <file>`: which guardrail saw what, and which setting decided the
 * action and why, step by step (mode, override, dryRun, infrastructure as code, exemptions,
 * circuit breaker). Offline by default; `--ou` supplies the OU membership, `--live` reads it and
 * the exemptions and breaker state from AWS.
 */
export async function explain(path: string, options: ExplainOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const env = options.env ?? process.env;
  const now = options.at ? Date.parse(options.at) : Date.now();
  if (Number.isNaN(now))
    throw new UsageError(`--at ${options.at} is not a time (use ISO 8601, e.g. 2024-03-01T10:00:00Z)`);
  for (const ou of options.ou ?? [])
    if (!OU_ID_PATTERN.test(ou)) throw new UsageError(`--ou ${ou} is not an OU id (ou-…) or root id (r-…)`);
  if (options.live && options.ou?.length) throw new UsageError('--ou and --live exclude each other');
  const enforcement = options.live ? liveEnforcement(options.config, env, now) : undefined;
  const contextFor = (change: Change): EnforcementContext => ({
    now,
    ...(options.ou?.length
      ? { placement: { account: change.account, organizationalUnits: options.ou } }
      : {}),
  });
  let count = 0;
  try {
    for await (const input of readInputs(path)) {
      // explain reads the events a person points it at: an unreadable file is bad usage.
      if ('error' in input) throw new UsageError(input.error);
      const normalized = normalizeEvent(input.value);
      if (!normalized.ok) throw new UsageError(`${input.location}: ${normalized.reason}`);
      let assessment: Assessment;
      if (normalized.kind === 'finding') {
        const { account } = normalized.finding;
        const placement = enforcement
          ? await enforcement.placement(account)
          : options.ou?.length
            ? { account, organizationalUnits: options.ou }
            : undefined;
        assessment = assessFinding(normalized.finding, options.config, placement ? { placement } : {});
      } else {
        const { change } = normalized;
        const evaluation = evaluateChange(change, options.config);
        const context = enforcement ? await enforcement.load(evaluation) : contextFor(change);
        assessment = decideChange(evaluation, options.config, context);
      }
      out.write(
        options.json
          ? `${JSON.stringify(explainJson(assessment))}\n`
          : `${count > 0 ? '\n' : ''}${explainText(assessment)}\n`,
      );
      count += 1;
    }
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(error.message);
    throw error;
  }
  if (count === 0) throw new UsageError(`${path}: no event found`);
  return EXIT.ok;
}
