import { awsErrorCode } from '../../errors';
import type { PolicyRead } from '../statement-removal';

/** Which resource a policy attribute belongs to, and the error codes that mean it is gone. */
export interface AttributeOwner {
  /** How alerts name it (topic ARN, queue URL). */
  name: string;
  /** "topic", "queue". */
  noun: string;
  gone: ReadonlySet<string>;
}

/**
 * SNS topics and SQS queues keep their policy in a `Policy` attribute. One read of it, for the
 * executor and the sweep alike: no policy and a resource deleted in the meantime are both absent,
 * with the reason.
 */
export async function readPolicyAttribute(
  owner: AttributeOwner,
  attributes: () => Promise<Record<string, string> | undefined>,
): Promise<PolicyRead> {
  try {
    const text = (await attributes())?.Policy;
    return text
      ? { state: 'present', text }
      : { state: 'absent', why: `${owner.name} has no ${owner.noun} policy` };
  } catch (error) {
    if (owner.gone.has(awsErrorCode(error) ?? '')) {
      return { state: 'absent', why: `${owner.name} no longer exists` };
    }
    throw error;
  }
}
