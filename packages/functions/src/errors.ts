import { DriftguardError } from '@driftguard/aws/evaluate-runtime';

/** A revert that could not be verified: the message is retried by SQS, then dead-lettered. */
export class RevertFailedError extends DriftguardError {}
