import type { ProcessedEvent, Runtime } from '@driftguard/aws';
import type { Config } from '@driftguard/core';
import { bold, cyan, describeOperation, dim, green, red } from '../format';

/** What every demo scene gets: moto's endpoint, the shared runtime, and the printing helpers. */
export interface DemoContext {
  endpoint: string;
  region: string;
  account: string;
  config: Config;
  /** The same pipeline the Lambda runs, wired to moto (SNS topic read back through SQS). */
  runtime: Runtime;
  /** Client settings for the scene's own setup calls (test credentials, moto endpoint). */
  clientSettings: {
    region: string;
    endpoint: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  step(text: string): void;
  line(text: string): void;
}

/** A scene makes one drift for real, runs it through the pipeline and shows the verified result. Returns true when verified. */
export type DemoScene = (context: DemoContext) => Promise<boolean>;

export const step = (text: string) => console.log(`\n${bold(cyan(`▶ ${text}`))}`);
export const line = (text: string) => console.log(`  ${text}`);

/** Prints what the pipeline decided and did: verdict, offenses, decision, operations, verified outcome. */
export function showProcessed(context: DemoContext, processed: ProcessedEvent): void {
  const { assessment, outcome } = processed;
  const verdict =
    assessment.status === 'violation'
      ? red(`${assessment.status} (${assessment.severity})`)
      : assessment.status;
  context.line(`verdict: ${verdict} — ${assessment.rule}`);
  for (const result of assessment.results) {
    if (result.verdict.kind !== 'violation') continue;
    for (const offense of result.verdict.offenses)
      context.line(`  • ${offense.reason} [${offense.severity}]`);
  }
  context.line(`decision: ${assessment.action} (${assessment.decisionReason})`);
  for (const operation of assessment.operations) context.line(`operation: ${describeOperation(operation)}`);
  const ok = outcome.verified && outcome.status !== 'revert-failed';
  context.line(`${ok ? green('✔') : red('✘')} ${outcome.summary}  ${dim(`(${processed.processingMs} ms)`)}`);
}
