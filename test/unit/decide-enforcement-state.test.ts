import {
  type BreakerStore,
  createEnforcement,
  type Enforcement,
  type ExemptionStore,
  ExemptionUseError,
  memoryBreakerStore,
} from '@driftguard/aws';
import {
  type Assessment,
  type Change,
  decideChange,
  evaluateChange,
  normalizeCloudTrail,
  type Outcome,
  outcomeFromResults,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith, sampleEvent } from '../support/notify';

const NOW = Date.parse('2024-03-01T10:06:00Z');
const GROUP_ARN = 'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0';

/** The violation of the sample event; each `eventId` is another violation of the same group. */
function change(eventId?: string): Change {
  const normalized = normalizeCloudTrail(sampleEvent(eventId ? { eventId } : {}));
  if (!normalized.ok) throw new Error(normalized.reason);
  return normalized.change;
}

/** A pipeline's deploy role, configured as infrastructure as code whose changes are reverted too. */
const PIPELINE_ROLE = 'arn:aws:iam::111122223333:role/deploy-pipeline';
const automationConfig = () =>
  configWith({ infrastructureAsCode: { roleArns: [PIPELINE_ROLE], mode: 'revert' } });

/** tcp/443 to the world (high, not critical) by a session of the pipeline's role. */
function automationChange(eventId?: string, port = 443): Change {
  const event = sampleEvent({ port, ...(eventId ? { eventId } : {}) }) as {
    detail: { userIdentity: { sessionContext: { sessionIssuer: Record<string, unknown> } } };
  };
  event.detail.userIdentity.sessionContext.sessionIssuer.arn = PIPELINE_ROLE;
  const normalized = normalizeCloudTrail(event);
  if (!normalized.ok) throw new Error(normalized.reason);
  return normalized.change;
}

/** The pipeline's decide stage: evaluate, load the state it asks for, decide once. */
async function decideLoaded(
  enforcement: Enforcement,
  changed: Change,
  config: ReturnType<typeof configWith>,
): Promise<Assessment> {
  const evaluation = evaluateChange(changed, config);
  return decideChange(evaluation, config, await enforcement.load(evaluation));
}

function applied(assessment: Assessment, status: 'applied' | 'already-compliant' = 'applied'): Outcome {
  return outcomeFromResults(
    assessment.operations.map((operation) => ({ operation, status, verified: true, detail: 'ok' })),
  );
}

const failing = (message: string) => async () => {
  throw new Error(message);
};

describe('enforcement state around the pure decision', () => {
  it('counts an automation revert only when the executor applied it (not when already compliant)', async () => {
    const config = automationConfig();
    const breakers = memoryBreakerStore();
    const enforcement = createEnforcement({ config, breakers, now: () => NOW });
    const assessment = await decideLoaded(enforcement, automationChange(), config);
    expect(assessment.action).toBe('revert');
    await enforcement.record({ assessment, outcome: applied(assessment, 'already-compliant') }, {});
    expect(await breakers.get('sg-open-ingress', GROUP_ARN)).toBeUndefined();
    await enforcement.record({ assessment, outcome: applied(assessment) }, {});
    expect((await breakers.get('sg-open-ingress', GROUP_ARN))?.reverts).toEqual([NOW]);
  });

  it("a person's reverts are never counted and a person's violations never read the breaker", async () => {
    const config = configWith({});
    let reads = 0;
    const memory = memoryBreakerStore();
    const breakers: BreakerStore = {
      get: async (rule, resource) => {
        reads += 1;
        return memory.get(rule, resource);
      },
      update: memory.update,
    };
    const enforcement = createEnforcement({ config, breakers, now: () => NOW });
    for (let i = 0; i < 5; i++) {
      const assessment = await decideLoaded(
        enforcement,
        change(`00000000-0000-4000-8000-00000000001${i}`),
        config,
      );
      expect(assessment.action).toBe('revert');
      await enforcement.record({ assessment, outcome: applied(assessment) }, {});
    }
    expect(reads).toBe(0);
    expect(await memory.get('sg-open-ingress', GROUP_ARN)).toBeUndefined();
  });

  it('the 4th automation violation after 3 counted reverts is decided as a ticket, from the stored count', async () => {
    const config = automationConfig();
    const breakers = memoryBreakerStore();
    let now = NOW;
    const enforcement = createEnforcement({ config, breakers, now: () => now });
    for (let i = 0; i < 3; i++) {
      const eventId = `00000000-0000-4000-8000-00000000000${i}`;
      const assessment = await decideLoaded(enforcement, automationChange(eventId), config);
      expect(assessment.action).toBe('revert');
      await enforcement.record({ assessment, outcome: applied(assessment) }, {});
      now += 60_000;
    }
    const fourth = await decideLoaded(enforcement, automationChange(), config);
    expect(fourth.action).toBe('ticket');
    expect(fourth.breaker).toMatchObject({
      revertsInWindow: 3,
      opening: true,
      actors: [expect.stringContaining('assumed-role/Admin/jdoe')],
    });
    // The same automation opening SSH to the world (critical) is reverted all the same.
    const critical = await decideLoaded(enforcement, automationChange(undefined, 22), config);
    expect(critical.action).toBe('revert');
    expect(critical.results[0]?.decision.trace).toContain(
      'circuit breaker: never holds back a critical exposure (revert)',
    );
  });

  it('an unreadable breaker fails open: the revert goes ahead and the reason is logged', async () => {
    const config = automationConfig();
    const warnings: string[] = [];
    const breakers: BreakerStore = { get: failing('throttled'), update: failing('throttled') };
    const enforcement = createEnforcement({
      config,
      breakers,
      now: () => NOW,
      warn: (m) => warnings.push(m),
    });
    const assessment = await decideLoaded(enforcement, automationChange(), config);
    expect(assessment.action).toBe('revert');
    await enforcement.record({ assessment, outcome: applied(assessment) }, {});
    expect(warnings).toEqual([
      `[driftguard] circuit breaker for sg-open-ingress on ${GROUP_ARN} unreadable: throttled`,
      `[driftguard] circuit breaker for sg-open-ingress on ${GROUP_ARN} not updated: throttled`,
    ]);
  });

  it('unreadable exemptions fail the event (retried): deciding without them could revert an allowed change', async () => {
    const config = configWith({ exemptions: { enabled: true } });
    const exemptions = { forAccount: failing('table gone') } as unknown as ExemptionStore;
    const enforcement = createEnforcement({ config, exemptions, now: () => NOW });
    await expect(decideLoaded(enforcement, change(), config)).rejects.toThrow(
      'cannot read the exemptions of 111122223333 for event d3acf956-9a95-5900-a8d7-e58180d35299: table gone',
    );
  });

  it('a use that cannot be recorded fails the event: the expiry re-check would miss it', async () => {
    const config = configWith({ exemptions: { enabled: true } });
    const exemption = {
      id: 'ex-1',
      account: '111122223333',
      reason: 'window',
      ticket: 'T-1',
      requester: 'alice',
      approver: 'bob',
      grantedAt: '2024-03-01T10:00:00Z',
      expiresAt: '2024-03-01T12:00:00Z',
    };
    const exemptions = {
      forAccount: async () => [exemption],
      recordUse: failing('throttled'),
    } as unknown as ExemptionStore;
    const enforcement = createEnforcement({ config, exemptions, now: () => NOW });
    const assessment = await decideLoaded(enforcement, change(), config);
    expect(assessment.exemption?.id).toBe('ex-1');
    await expect(
      enforcement.record({ assessment, outcome: applied(assessment) }, sampleEvent()),
    ).rejects.toBeInstanceOf(ExemptionUseError);
  });

  it('events without a violation to act on read nothing', async () => {
    const config = configWith({ exemptions: { enabled: true } });
    let reads = 0;
    const exemptions = {
      forAccount: async () => {
        reads += 1;
        return [];
      },
    } as unknown as ExemptionStore;
    const enforcement = createEnforcement({ config, exemptions, now: () => NOW });
    const compliant = sampleEvent() as { detail: { requestParameters: Record<string, unknown> } };
    const normalized = normalizeCloudTrail({
      ...compliant,
      detail: { ...compliant.detail, eventName: 'DescribeSecurityGroups' },
    });
    if (!normalized.ok) throw new Error(normalized.reason);
    const { change: described } = normalized;
    await decideLoaded(enforcement, described, config);
    expect(reads).toBe(0);
  });
});
