/**
 * The order `sst remove` deletes in, under Pulumi mocks: Pulumi deletes a resource before
 * everything it depends on, so the order is read off the dependency graph the program registers
 * (test/infra/support/sst-mocks.ts records it). What DEPLOY.md ("Remove") promises and this checks:
 * the member stacks (stack instances, the management account's stacks) go first, while the central
 * bus, its rules and targets, the events queue and the evaluate function's event source still take
 * what members forward; the stack set goes after its instances (AWS refuses to delete a stack set
 * that still has instances). On creation the same graph runs the other way: nothing is forwarded
 * before the pipeline that handles it exists.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type RecordedResource, type RecordedStack, recordedProdStack } from './support/sst-mocks';

let sst: RecordedStack;

beforeAll(async () => {
  sst = await recordedProdStack();
}, 240_000);

/** Every resource `name` depends on, directly or not: all of them are deleted after it. */
function deletedAfter(name: string): Set<string> {
  const byName = new Map(sst.resources.map((resource) => [resource.name, resource]));
  const seen = new Set<string>();
  const walk = (current: string) => {
    for (const dependency of byName.get(current)?.dependsOn ?? []) {
      if (seen.has(dependency)) continue;
      seen.add(dependency);
      walk(dependency);
    }
  };
  walk(name);
  return seen;
}

const names = (resources: RecordedResource[]) => resources.map((resource) => resource.name);

describe('removal order (sst remove, Pulumi mocks)', () => {
  it('deletes every member stack before the central pieces that take forwarded events', () => {
    const memberStacks = [
      ...names(sst.ofType('aws:cloudformation/stackInstances:StackInstances')),
      ...names(sst.ofType('aws:cloudformation/stack:Stack')),
    ];
    // The stack instances and one management-account stack per member region.
    expect(memberStacks).toContain('MemberStackInstances');
    expect(memberStacks.filter((name) => name.startsWith('ManagementMemberStack-')).length).toBeGreaterThan(
      1,
    );
    const eventPath = [
      ...names(sst.ofType('aws:cloudwatch/eventBus:EventBus')),
      // The central bus's rules (not the security account's own GuardDuty forwarding rules).
      ...names(sst.ofType('aws:cloudwatch/eventRule:EventRule')).filter((name) => name.startsWith('Rule')),
      ...names(sst.ofType('aws:cloudwatch/eventTarget:EventTarget')).filter((name) =>
        name.startsWith('Rule'),
      ),
      'EvaluateQueueSource',
      ...names(
        sst.ofType('aws:sqs/queue:Queue').filter((queue) => queue.inputs.name === 'driftguard-prod-events'),
      ),
    ];
    expect(eventPath).toContain('EvaluateQueueSource');
    expect(eventPath.length).toBeGreaterThan(5);
    for (const stack of memberStacks) {
      const after = deletedAfter(stack);
      expect(
        eventPath.filter((name) => !after.has(name)),
        `${stack} outlives these`,
      ).toEqual([]);
    }
  });

  it('deletes the stack instances before the stack set', () => {
    expect(deletedAfter('MemberStackInstances')).toContain('MemberStackSet');
  });

  it('keeps nothing central waiting on a member stack (the central stack goes last)', () => {
    const member = new Set([
      'MemberStackInstances',
      'MemberStackSet',
      ...names(sst.ofType('aws:cloudformation/stack:Stack')),
    ]);
    for (const resource of sst.resources.filter((candidate) => !member.has(candidate.name))) {
      expect(
        [...deletedAfter(resource.name)].filter((name) => member.has(name)),
        resource.name,
      ).toEqual([]);
    }
  });
});
