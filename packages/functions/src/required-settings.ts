/**
 * The settings each deployed function cannot run safely without. infra/environment.ts sets them
 * all; a function started without one (a hand-made deployment, a renamed variable) would otherwise
 * run on: without the table there is no dedupe (an event acted on twice) and no audit trail,
 * without the topic no alert, without the DLQ no place for bad input, without the config
 * parameter the built-in defaults instead of the organization's config.
 */
const PURPOSE = {
  DRIFTGUARD_TABLE: 'the state table (dedupe, audit trail, snapshots)',
  DRIFTGUARD_TOPIC_ARN: 'the alerts topic',
  DRIFTGUARD_DLQ_URL: 'the dead-letter queue for input that cannot succeed',
  DRIFTGUARD_CONFIG_PARAMETER: 'the SSM parameter holding the config',
  DRIFTGUARD_SWEEP_QUEUE_URL: 'the sweep work queue',
  DRIFTGUARD_EXEMPTIONS_TABLE: 'the exemptions table (break-glass requests and approvals)',
} as const;
export type RequiredSetting = keyof typeof PURPOSE;

export const REQUIRED_SETTINGS = {
  evaluate: ['DRIFTGUARD_TABLE', 'DRIFTGUARD_TOPIC_ARN', 'DRIFTGUARD_DLQ_URL', 'DRIFTGUARD_CONFIG_PARAMETER'],
  sweepPlanner: [
    'DRIFTGUARD_TABLE',
    'DRIFTGUARD_TOPIC_ARN',
    'DRIFTGUARD_SWEEP_QUEUE_URL',
    'DRIFTGUARD_CONFIG_PARAMETER',
  ],
  sweepWorker: ['DRIFTGUARD_TABLE', 'DRIFTGUARD_TOPIC_ARN', 'DRIFTGUARD_CONFIG_PARAMETER'],
  exemptionExpiry: ['DRIFTGUARD_TABLE', 'DRIFTGUARD_TOPIC_ARN', 'DRIFTGUARD_CONFIG_PARAMETER'],
  exemptionApi: ['DRIFTGUARD_EXEMPTIONS_TABLE', 'DRIFTGUARD_TOPIC_ARN', 'DRIFTGUARD_CONFIG_PARAMETER'],
} as const satisfies Record<string, readonly RequiredSetting[]>;

export class MissingSettingError extends Error {
  override name = 'MissingSettingError';
}

/**
 * Refuses to start (throws at init) when the function runs in Lambda (`AWS_LAMBDA_FUNCTION_NAME`,
 * set by the Lambda runtime) without one of `names`. Outside Lambda (tests, local runs) the
 * handlers' code runs with whatever is set, as the CLI does.
 */
export function requireSettings(
  functionName: string,
  names: readonly RequiredSetting[],
  env: Record<string, string | undefined> = process.env,
): void {
  if (!env.AWS_LAMBDA_FUNCTION_NAME) return;
  const missing = names.filter((name) => !env[name]);
  if (missing.length === 0) return;
  throw new MissingSettingError(
    `${functionName} refuses to start: ${missing
      .map((name) => `${name} (${PURPOSE[name]})`)
      .join(
        ', ',
      )} ${missing.length === 1 ? 'is' : 'are'} not set. Deploy with the stack (infra/environment.ts sets them) or set them on the function.`,
  );
}
