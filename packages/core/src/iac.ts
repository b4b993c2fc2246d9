import type { Config } from './config';
import type { Actor } from './events/change';

const CLOUDFORMATION = 'cloudformation.amazonaws.com';

/** An ARN glob (`*` any characters, `?` one) as an anchored, case-sensitive regular expression. */
export function arnGlob(pattern: string): RegExp {
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * Why the actor of a change counts as infrastructure as code, or undefined when it does not.
 * Only fields AWS sets are trusted: `invokedBy` and `sourceIPAddress` (a service's name when a
 * service made the call), and the role behind a session. The user agent and the session name are
 * chosen by the caller, so they never make a change "infrastructure as code".
 */
export function infrastructureAsCodeActor(
  actor: Actor,
  config: Pick<Config, 'infrastructureAsCode'>,
): string | undefined {
  const settings = config.infrastructureAsCode;
  if (settings.cloudFormation) {
    if (actor.invokedBy === CLOUDFORMATION) return `CloudFormation (invokedBy ${CLOUDFORMATION})`;
    if (actor.sourceIp === CLOUDFORMATION) return `CloudFormation (sourceIPAddress ${CLOUDFORMATION})`;
  }
  for (const pattern of settings.roleArnPatterns) {
    const glob = arnGlob(pattern);
    if (actor.roleArn && glob.test(actor.roleArn))
      return `role ${actor.roleArn} matches infrastructureAsCode.roleArnPatterns ${pattern}`;
    if (actor.arn && glob.test(actor.arn))
      return `${actor.arn} matches infrastructureAsCode.roleArnPatterns ${pattern}`;
  }
  return undefined;
}
