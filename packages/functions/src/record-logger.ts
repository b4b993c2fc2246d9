import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DriftguardLogger, LogFields } from '@driftguard/aws';

/**
 * Correlation keys per record. The batch processor runs a batch's records concurrently, so keys
 * appended to the shared logger would land on a neighbour's lines: each record gets a child logger
 * carrying only its own keys, found through AsyncLocalStorage by everything the record calls —
 * the library's warnings included (`library`, passed to `runtimeLoader`). When the record is done
 * its child is dropped, so nothing reaches the next record.
 */
export function recordLogging(logger: Logger) {
  const current = new AsyncLocalStorage<Logger>();
  const log = (): Logger => current.getStore() ?? logger;
  const library: DriftguardLogger = {
    warn: (message, ...fields) => log().warn(message, ...fields),
    error: (message, ...fields) => log().error(message, ...fields),
  };
  return {
    /** The current record's logger (the function's own outside a record). */
    log,
    library,
    /** Runs one record with `keys` on each line it logs. */
    withRecord<T>(keys: LogFields, work: () => Promise<T>): Promise<T> {
      const child = logger.createChild();
      child.appendKeys(definedOnly(keys));
      return current.run(child, work);
    },
    /** Keys learnt while processing the record (its rule once evaluated). */
    append(keys: LogFields): void {
      current.getStore()?.appendKeys(definedOnly(keys));
    },
  };
}

/** The correlation keys an EventBridge envelope carries: CloudTrail's eventID, a finding's id, the account. */
export function envelopeKeys(input: unknown): LogFields {
  if (typeof input !== 'object' || input === null) return {};
  const envelope = input as { id?: unknown; account?: unknown; detail?: { eventID?: unknown; id?: unknown } };
  const detail = typeof envelope.detail === 'object' && envelope.detail !== null ? envelope.detail : {};
  return {
    eventId: asText(detail.eventID) ?? asText(detail.id) ?? asText(envelope.id),
    account: asText(envelope.account),
  };
}

/** A sweep unit's keys from its message (the worker validates the body itself): run id, account, region, describer. */
export function unitKeys(body: string): LogFields {
  let unit: unknown;
  try {
    unit = JSON.parse(body);
  } catch {
    return {};
  }
  if (typeof unit !== 'object' || unit === null) return {};
  const { runId, account, region, describer } = unit as Record<string, unknown>;
  return {
    runId: asText(runId),
    account: asText(account),
    region: asText(region),
    describer: asText(describer),
  };
}

const asText = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function definedOnly(keys: LogFields): Record<string, string | number | boolean | object> {
  return Object.fromEntries(
    Object.entries(keys).filter(([, value]) => value !== undefined && value !== null),
  ) as Record<string, string | number | boolean | object>;
}
