import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Config } from '@driftguard/core';
import { clientConfig } from './clients';
import { CONFIG_REJECTED_MESSAGE, parameterConfig } from './config-parameter';
import { DriftguardError } from './errors';
import { type DriftguardLogger, stderrLogger } from './log';
import { deploymentOverlay, type Runtime, type RuntimeEnv, runtimeFromEnv } from './runtime';

export interface RuntimeLoaderOptions {
  /** Where a refused or unreadable config is reported (the functions log it; an alarm watches). */
  onConfigRejected?: (reason: string) => void;
  /** The parameter read, injectable for tests; default Powertools' SSMProvider with its cache. */
  readParameter?: (name: string, maxAgeSeconds: number) => Promise<string>;
  /** Where the runtime reports what it survives; default stderr (the functions pass their Logger). */
  logger?: DriftguardLogger;
}

/**
 * The runtime for each invocation. With DRIFTGUARD_CONFIG_PARAMETER (deployed functions) the
 * config comes from SSM Parameter Store through Powertools Parameters, cached for
 * DRIFTGUARD_CONFIG_MAX_AGE_SECONDS (default 60): a published change takes effect within that,
 * without a deploy, and costs one GetParameter per container per period. The runtime (clients,
 * stores) is rebuilt only when the config in force changes. Without it, DRIFTGUARD_CONFIG (the CLI,
 * tests) is read once, as before.
 */
export function runtimeLoader(env: RuntimeEnv, options: RuntimeLoaderOptions = {}): () => Promise<Runtime> {
  return configuredLoader(
    env,
    (config) =>
      runtimeFromEnv(env, {
        ...(config ? { config } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      }),
    options,
  );
}

/**
 * What a function builds from its config (the runtime, the exemption API), per invocation: with
 * DRIFTGUARD_CONFIG_PARAMETER from Parameter Store (cached; a refused publish keeps the last good
 * config and is reported) and rebuilt only when the config in force changes; without it, built
 * once from DRIFTGUARD_CONFIG (`build(undefined)`).
 */
export function configuredLoader<T>(
  env: RuntimeEnv,
  build: (config: Config | undefined) => T,
  options: RuntimeLoaderOptions = {},
): () => Promise<T> {
  const name = env.DRIFTGUARD_CONFIG_PARAMETER;
  if (!name) {
    let fixed: { value: T } | undefined;
    return async () => {
      fixed ??= { value: build(undefined) };
      return fixed.value;
    };
  }
  const maxAge = Number(env.DRIFTGUARD_CONFIG_MAX_AGE_SECONDS ?? 60);
  if (!Number.isInteger(maxAge) || maxAge < 0) {
    throw new DriftguardError(`DRIFTGUARD_CONFIG_MAX_AGE_SECONDS must be a whole number of seconds`);
  }
  const read = options.readParameter ?? ssmReader(env);
  const current = parameterConfig({
    read: () => read(name, maxAge),
    overlay: (config) => deploymentOverlay(config, env),
    onRejected:
      options.onConfigRejected ??
      ((reason) => (options.logger ?? stderrLogger).error(CONFIG_REJECTED_MESSAGE, { reason })),
  });
  let built: { config: Config; value: T } | undefined;
  return async () => {
    const config = await current();
    if (built?.config !== config) built = { config, value: build(config) };
    return built.value;
  };
}

/** Reads a parameter through Powertools Parameters (cached per `maxAge`); shared with the exemption API. */
export function ssmReader(env: RuntimeEnv): (name: string, maxAge: number) => Promise<string> {
  const provider = new SSMProvider({
    awsSdkV3Client: new SSMClient(
      clientConfig({
        region: env.AWS_REGION ?? 'us-east-1',
        ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
      }),
    ),
  });
  return async (name, maxAge) => {
    const value = await provider.get(name, { maxAge });
    if (typeof value !== 'string') throw new DriftguardError(`parameter ${name} has no value`);
    return value;
  };
}
