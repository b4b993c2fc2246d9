/**
 * The deployer's least privilege, derived from the stack: every resource the program creates
 * under Pulumi mocks must be of a type infra/deployer-policy.ts lists, carry the name its pattern
 * allows (a generated name would fall outside the documented policy and fail the first real
 * deploy), and DEPLOY.md must document each scope.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYER_SCOPES, NOT_AWS_RESOURCES } from '../../infra/deployer-policy';
import { type RecordedStack, ROOT, recordedProdStack } from './support/sst-mocks';

let sst: RecordedStack;

beforeAll(async () => {
  sst = await recordedProdStack();
}, 240_000);

const created = () =>
  sst.resources.filter(
    (resource) => !resource.read && !NOT_AWS_RESOURCES.some((pattern) => pattern.test(resource.type)),
  );

describe('the deployer policy', () => {
  it('covers every resource type the stack creates', () => {
    const uncovered = [...new Set(created().map((resource) => resource.type))].filter(
      (type) => !(type in DEPLOYER_SCOPES),
    );
    expect(uncovered).toEqual([]);
  });

  it('allows every created resource by its physical name (none is left to a generated name)', () => {
    const outside = created().flatMap((resource) => {
      const scope = DEPLOYER_SCOPES[resource.type];
      const pattern = scope?.name?.('prod');
      if (!pattern) return [];
      const name = resource.inputs[scope?.nameInput ?? 'name'];
      return typeof name === 'string' && pattern.test(name)
        ? []
        : [`${resource.type} ${resource.name}: ${String(name ?? '(generated name)')}`];
    });
    expect(outside).toEqual([]);
    // The GuardDuty forwarding role used to get a generated name the documented policy denied.
    expect(sst.named('GuardDutyForwardingRole').inputs.name).toBe('driftguard-prod-guardduty-forwarding');
  });

  it('is documented scope by scope in DEPLOY.md', () => {
    const deploy = readFileSync(join(ROOT, 'DEPLOY.md'), 'utf8');
    const missing = [...new Set(Object.values(DEPLOYER_SCOPES).map((scope) => scope.documented))].filter(
      (documented) => !deploy.includes(documented),
    );
    expect(missing).toEqual([]);
  });
});
