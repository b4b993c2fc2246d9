import { gunzipSync, gzipSync } from 'node:zlib';
import { type Config, parseConfig } from '@driftguard/core';
import { ConfigTooLargeError, ConfigUnavailableError } from './errors';

/**
 * The driftguard config as stored in SSM Parameter Store (DEPLOY.md "Change the config"). One
 * parameter per stage holds the whole document, so a change is one atomic PutParameter and a
 * reader never sees half of one:
 *
 * - up to 4 KB it is the JSON itself (readable in the console, Standard tier, free);
 * - above, it is gzip + base64 behind a `gzip+base64:` prefix: JSON of hundreds of overrides
 *   compresses ~10× (the keys repeat), so Standard's 4 KB or Advanced's 8 KB hold what Lambda's
 *   4 KB environment never could (measured in test/unit/config-parameter.test.ts).
 *
 * Why Parameter Store and not AppConfig: one read per cache period with the SDK client the
 * runtime already has, no application/environment/profile/deployment-strategy resources to
 * create and grant, and the local AWS (moto) implements it, so the whole path is tested here;
 * AppConfig's staged deployments would help a fleet of readers, not three functions.
 */

/** The phrase the functions log when a config is refused; infra/config-parameter.ts alarms on it. */
export const CONFIG_REJECTED_MESSAGE = 'driftguard config rejected';

export const STANDARD_TIER_BYTES = 4096;
export const ADVANCED_TIER_BYTES = 8192;
const GZIP_PREFIX = 'gzip+base64:';

export type ParameterTier = 'Standard' | 'Advanced';

/** The parameter value for a config document, and the cheapest tier that holds it. */
export function encodeConfigDocument(document: unknown): { value: string; tier: ParameterTier } {
  const json = JSON.stringify(document);
  if (Buffer.byteLength(json) <= STANDARD_TIER_BYTES) return { value: json, tier: 'Standard' };
  const value = `${GZIP_PREFIX}${gzipSync(json, { level: 9 }).toString('base64')}`;
  if (value.length <= STANDARD_TIER_BYTES) return { value, tier: 'Standard' };
  if (value.length <= ADVANCED_TIER_BYTES) return { value, tier: 'Advanced' };
  throw new ConfigTooLargeError(
    `the config is ${Buffer.byteLength(json)} bytes of JSON, ${value.length} compressed; a parameter holds ${ADVANCED_TIER_BYTES}`,
  );
}

export type DecodedConfig = { ok: true; config: Config } | { ok: false; reason: string };

/** Reads a parameter value back into a validated config (defaults filled in), or says why not. */
export function decodeConfigDocument(value: string): DecodedConfig {
  let json = value;
  if (value.startsWith(GZIP_PREFIX)) {
    try {
      json = gunzipSync(Buffer.from(value.slice(GZIP_PREFIX.length), 'base64')).toString('utf8');
    } catch (error) {
      return { ok: false, reason: `the compressed config does not decompress: ${(error as Error).message}` };
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    return { ok: false, reason: `the config is not JSON: ${(error as Error).message}` };
  }
  const parsed = parseConfig(raw);
  return parsed.ok ? parsed : { ok: false, reason: `the config is invalid: ${parsed.reason}` };
}

export interface ParameterConfigOptions {
  /** The parameter's current value (cached by the caller, e.g. Powertools' SSMProvider maxAge). */
  read: () => Promise<string>;
  /** Deployment-owned settings laid over every published document (external id, role names). */
  overlay?: (config: Config) => Config;
  /**
   * A published value was refused, or the read failed: the last good config stays in force. Called
   * at most once per `reportEveryMs` while the problem lasts, so the alarm on it stays raised
   * without a log line per event.
   */
  onRejected: (reason: string) => void;
  reportEveryMs?: number;
  now?: () => number;
}

/**
 * The config currently in force. A value is validated before it takes effect: one that fails
 * keeps the last good config (and reports it), so a bad publish never turns the guardrails off;
 * without any good config yet there is nothing safe to run, and the call throws (SQS retries,
 * the error alarm fires).
 */
export function parameterConfig(options: ParameterConfigOptions): () => Promise<Config> {
  const now = options.now ?? Date.now;
  const every = options.reportEveryMs ?? 60_000;
  let good: { value: string; config: Config } | undefined;
  let reported: { reason: string; at: number } | undefined;
  const report = (reason: string) => {
    if (reported?.reason === reason && now() - reported.at < every) return;
    reported = { reason, at: now() };
    options.onRejected(reason);
  };
  return async () => {
    let value: string;
    try {
      value = await options.read();
    } catch (error) {
      const reason = `the config parameter could not be read: ${(error as Error).message}`;
      if (!good) throw new ConfigUnavailableError(reason, { cause: error });
      report(`${reason}; keeping the last good config`);
      return good.config;
    }
    if (value === good?.value) return good.config;
    const decoded = decodeConfigDocument(value);
    if (!decoded.ok) {
      if (!good) {
        report(`${decoded.reason}; no good config yet, nothing runs`);
        throw new ConfigUnavailableError(decoded.reason);
      }
      report(`${decoded.reason}; keeping the last good config`);
      return good.config;
    }
    good = { value, config: options.overlay ? options.overlay(decoded.config) : decoded.config };
    reported = undefined;
    return good.config;
  };
}
