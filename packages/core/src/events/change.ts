/** Who made a change, as CloudTrail's `userIdentity` (plus network context) describes it. */
export interface Actor {
  /** Root, IAMUser, AssumedRole, FederatedUser, AWSService, AWSAccount, IdentityCenterUser, … */
  type: string;
  /** Identity ARN (for assumed roles, the session ARN). */
  arn?: string;
  accountId?: string;
  principalId?: string;
  /**
   * The principal behind a session (`sessionContext.sessionIssuer`): its type (`Role` for role
   * sessions, `IAMUser` for GetFederationToken ones), ARN and name. `roleArn`/`roleName` carry the
   * issuer's ARN and name whatever its type: check `issuerType` before trusting them as a role.
   */
  issuerType?: string;
  roleArn?: string;
  roleName?: string;
  sessionName?: string;
  /** Service that made the call on the principal's behalf (e.g. cloudformation.amazonaws.com). */
  invokedBy?: string;
  sourceIp?: string;
  userAgent?: string;
}

/** A successful or failed control-plane call, normalized from one CloudTrail record. */
export interface Change {
  kind: 'cloudtrail';
  eventId: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  /** Account whose resource changed (`recipientAccountId`). */
  account: string;
  region: string;
  actor: Actor;
  request: Record<string, unknown>;
  /**
   * Set when the record has no readable `requestParameters` (null, absent, or not an object: a
   * truncated or redacted record). `request` is then `{}`, and a guardrail says the record is
   * unreadable rather than judging an empty request.
   */
  requestMissing?: true;
  response: Record<string, unknown>;
  /** Present only when the call failed: nothing changed. */
  errorCode?: string;
  errorMessage?: string;
}
