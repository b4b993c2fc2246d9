import {
  approveRequest,
  authenticatedPrincipal,
  type Config,
  type Exemption,
  type RequestInput,
  validateRequest,
} from '@driftguard/core';
import type { TestIdentity } from './function-url';

/** The security account where the exemption API runs, and the people calling it. */
export const SECURITY_ACCOUNT = '999988887777';
export const ALICE_ARN = `arn:aws:sts::${SECURITY_ACCOUNT}:assumed-role/BreakGlassRequester/alice@example.com`;
export const BOB_ARN = `arn:aws:sts::${SECURITY_ACCOUNT}:assumed-role/SecurityOncall/bob@example.com`;

/**
 * An exemption as the API builds it: a request by one authenticated principal, approved by
 * another (the two pure acts, without the function URL in between).
 */
export function approvedExemption(
  input: RequestInput,
  config: Pick<Config, 'exemptions'>,
  options: { id: string; now: number; requester?: string; approver?: string },
): Exemption {
  const principal = (arn: string) => {
    const parsed = authenticatedPrincipal({ userArn: arn, accountId: arn.split(':')[4] ?? '' }, config);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.principal;
  };
  const requested = validateRequest(input, principal(options.requester ?? ALICE_ARN), config, {
    id: `req-${options.id}`,
    now: options.now,
  });
  if (!requested.ok) throw new Error(requested.reason);
  const approved = approveRequest(requested.request, principal(options.approver ?? BOB_ARN), config, {
    id: options.id,
    now: options.now,
  });
  if (!approved.ok) throw new Error(approved.reason);
  return approved.exemption;
}

/** The people of the attack tests, as the loopback function URL knows them (test/support/function-url.ts). */
export const ALICE: TestIdentity = {
  accessKeyId: 'AKIAALICEEXAMPLE0001',
  secretAccessKey: 'alice-secret-key-for-tests-only-000000001',
  userArn: ALICE_ARN,
  accountId: SECURITY_ACCOUNT,
  userId: 'AROAALICEROLEEXAMPLE:alice@example.com',
};
/** Alice again, in a second session of the same role she named differently. */
export const ALICE_AS_BOB: TestIdentity = {
  accessKeyId: 'AKIAALICEEXAMPLE0002',
  secretAccessKey: 'alice-secret-key-for-tests-only-000000002',
  userArn: `arn:aws:sts::${SECURITY_ACCOUNT}:assumed-role/BreakGlassRequester/bob@example.com`,
  accountId: SECURITY_ACCOUNT,
  userId: 'AROAALICEROLEEXAMPLE:bob@example.com',
};
export const BOB: TestIdentity = {
  accessKeyId: 'AKIABOBEXAMPLE000001',
  secretAccessKey: 'bob-secret-key-for-tests-only-0000000001',
  userArn: BOB_ARN,
  accountId: SECURITY_ACCOUNT,
  userId: 'AROABOBROLEEXAMPLE00:bob@example.com',
};
