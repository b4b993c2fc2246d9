/**
 * The core reports expected failures as values (`{ ok: false, reason }`). These classes are
 * thrown only inside a parser and turned into such a value at its boundary.
 */

/** A policy document that is not valid IAM policy grammar; the message says where and why. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
