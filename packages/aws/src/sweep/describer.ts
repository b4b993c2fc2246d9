import { CLOUDTRAIL_DETAIL_TYPE, type Config, eventBridgeSource } from '@driftguard/core';
import type { AccountClients } from '../executor';

/** `userIdentity.type` of every change the sweep builds: shown as the actor, never a real principal. */
export const SWEEP_ACTOR = 'driftguard-sweep';

/** Where and when one describer reads live state. */
export interface DescribeScope {
  runId: string;
  account: string;
  /** The region the describer reads (regional describers), or its home region (account describers). */
  region: string;
  /** Every region the sweep covers: account describers skip resources elsewhere (e.g. buckets). */
  regions: readonly string[];
  clients: AccountClients;
  /**
   * The config in force, for describers whose expectations are the deployment's (driftguard's own
   * footprint: its rule prefix, role name and region). Describers of customer resources ignore it.
   */
  config?: Config;
  /** When the read started (second precision, as CloudTrail writes eventTime). */
  observedAt: string;
}

/** One resource as found, already turned into the change its guardrail evaluates. */
export interface SweptResource {
  resourceId: string;
  /** An EventBridge "AWS API Call via CloudTrail" event (synthetic actor, synthetic id). */
  event: Record<string, unknown>;
}

/**
 * Reads one kind of resource in an account (and region) and turns each into the CloudTrail-shaped
 * change its guardrail evaluates, so the sweep runs the same evaluators → decide → execute →
 * notify path as delivered events. Pages through everything; never writes.
 */
export interface Describer {
  id: string;
  /** Guardrails that judge what this describer emits: it runs when one of them is in the catalog. */
  rules: readonly string[];
  /** `region`: once per account and region · `account`: once per account (global services, S3). */
  scope: 'region' | 'account';
  describe(scope: DescribeScope): AsyncIterable<SweptResource>;
}

export interface SweepChange {
  eventSource: string;
  eventName: string;
  resourceId: string;
  /** Defaults to the scope's region (buckets live in their own region). */
  region?: string;
  requestParameters: Record<string, unknown>;
  responseElements?: Record<string, unknown>;
}

/**
 * The change as CloudTrail would have delivered it, with an actor that says it came from the sweep
 * and an id unique per run, account, region and resource (a redelivery within a run is a duplicate,
 * the next run's observation is a new event).
 */
export function sweepEvent(scope: DescribeScope, change: SweepChange): SweptResource {
  const region = change.region ?? scope.region;
  const eventId = `${SWEEP_ACTOR}:${scope.runId}:${scope.account}:${region}:${change.eventName}:${change.resourceId}`;
  return {
    resourceId: change.resourceId,
    event: {
      version: '0',
      id: eventId,
      'detail-type': CLOUDTRAIL_DETAIL_TYPE,
      source: eventBridgeSource(change.eventSource),
      account: scope.account,
      time: scope.observedAt,
      region,
      resources: [],
      detail: {
        eventVersion: '1.09',
        userIdentity: { type: SWEEP_ACTOR, principalId: SWEEP_ACTOR, accountId: scope.account },
        eventTime: scope.observedAt,
        eventSource: change.eventSource,
        eventName: change.eventName,
        awsRegion: region,
        sourceIPAddress: SWEEP_ACTOR,
        userAgent: `${SWEEP_ACTOR}/${scope.runId}`,
        requestParameters: change.requestParameters,
        responseElements: change.responseElements ?? null,
        eventID: eventId,
        readOnly: false,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: scope.account,
        eventCategory: 'Management',
      },
    },
  };
}

/** EC2's XML-derived sets as CloudTrail writes them: one element is an object, several an array. */
export function ec2Set<T>(values: readonly T[]): { items: T | T[] } | undefined {
  if (values.length === 0) return undefined;
  return { items: values.length === 1 ? (values[0] as T) : [...values] };
}
