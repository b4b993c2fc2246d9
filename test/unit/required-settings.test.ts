import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  MissingSettingError,
  REQUIRED_SETTINGS,
  requireSettings,
} from '../../packages/functions/src/required-settings';

const DEPLOYED = {
  AWS_LAMBDA_FUNCTION_NAME: 'driftguard-prod-evaluate',
  DRIFTGUARD_TABLE: 'driftguard-prod-state',
  DRIFTGUARD_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:driftguard-prod-alerts',
  DRIFTGUARD_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111111111111/driftguard-prod-events-dlq',
  DRIFTGUARD_CONFIG_PARAMETER: '/driftguard/prod/config',
  DRIFTGUARD_SWEEP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111111111111/driftguard-prod-sweep-units',
  DRIFTGUARD_EXEMPTIONS_TABLE: 'driftguard-prod-exemptions',
};

describe('a Lambda started without its settings refuses to start', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('the evaluate handler fails at init, naming the missing table and what it is for', async () => {
    for (const [name, value] of Object.entries(DEPLOYED)) vi.stubEnv(name, value);
    vi.stubEnv('DRIFTGUARD_TABLE', '');
    await expect(import('../../packages/functions/src/evaluate')).rejects.toThrow(
      'driftguard-evaluate refuses to start: DRIFTGUARD_TABLE (the state table (dedupe, audit trail, snapshots)) is not set.',
    );
  });

  it('the exemption API fails at init without its exemptions table (an approval could not be recorded)', async () => {
    for (const [name, value] of Object.entries(DEPLOYED)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'driftguard-prod-exemption-api');
    vi.stubEnv('DRIFTGUARD_EXEMPTIONS_TABLE', '');
    await expect(import('../../packages/functions/src/exemption-api')).rejects.toThrow(
      'driftguard-exemption-api refuses to start: DRIFTGUARD_EXEMPTIONS_TABLE (the exemptions table (break-glass requests and approvals)) is not set.',
    );
  });

  it('every function names each setting it lacks', () => {
    for (const [fn, names] of Object.entries(REQUIRED_SETTINGS)) {
      const env = { AWS_LAMBDA_FUNCTION_NAME: fn };
      expect(() => requireSettings(fn, names, env)).toThrow(MissingSettingError);
      for (const name of names) expect(() => requireSettings(fn, names, env)).toThrow(name);
      expect(() => requireSettings(fn, names, { ...DEPLOYED })).not.toThrow();
    }
  });

  it('outside Lambda (tests, local runs) the handlers run with what is set, as the CLI does', () => {
    expect(() => requireSettings('driftguard-evaluate', REQUIRED_SETTINGS.evaluate, {})).not.toThrow();
  });
});
