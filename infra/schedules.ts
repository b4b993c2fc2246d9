/** Every six hours by default: CloudTrail → EventBridge is best effort, and old drift has no event. */
export const DEFAULT_SWEEP_SCHEDULE = 'rate(6 hours)' as const;
/** Ended exemptions are re-checked within minutes (packages/functions/src/exemption-expiry.ts). */
export const EXEMPTION_EXPIRY_SCHEDULE = 'rate(5 minutes)' as const;
