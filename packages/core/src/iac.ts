import type { Config } from './config';
import type { Actor } from './events/change';

/**
 * Why the actor of a change counts as infrastructure as code (and as automation for the circuit
 * breaker), or undefined when it does not.
 *
 * Only an identity AWS authenticated is trusted: the role behind an assumed-role session
 * (`sessionContext.sessionIssuer.arn`, written by CloudTrail), compared exactly with the role ARNs
 * the organization configured (a pipeline's role, a CloudFormation stack's service role). Never a
 * pattern (anyone allowed to create a role can give it a matching name), never `invokedBy` or
 * `sourceIPAddress` = cloudformation.amazonaws.com alone (anyone can create a stack, and a stack
 * without a service role acts with its creator's own credentials), never a user agent or a
 * session name (the caller chooses both).
 */
export function infrastructureAsCodeActor(
  actor: Actor,
  config: Pick<Config, 'infrastructureAsCode'>,
): string | undefined {
  const { roleArns } = config.infrastructureAsCode;
  if (roleArns.length === 0 || actor.type !== 'AssumedRole' || !actor.roleArn) return undefined;
  if (!roleArns.includes(actor.roleArn)) return undefined;
  const via = actor.invokedBy ? ` via ${actor.invokedBy}` : '';
  return `role ${actor.roleArn}${via} (listed in infrastructureAsCode.roleArns)`;
}
