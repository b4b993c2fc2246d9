/** Every six hours by default: CloudTrail → EventBridge is best effort, and old drift has no event. */
export const DEFAULT_SWEEP_SCHEDULE = 'rate(6 hours)' as const;
/** Ended exemptions are re-checked within minutes (packages/functions/src/exemption-expiry.ts). */
export const EXEMPTION_EXPIRY_SCHEDULE = 'rate(5 minutes)' as const;
/** The sweep worker logs this (Powertools JSON `message`) for every unit it could not sweep. */
export const SWEEP_UNIT_FAILED_MESSAGE = 'sweep unit failed';
/** The planner logs this, with `unreached`, when the run it supersedes never finished all its units. */
export const SWEEP_UNITS_UNREACHED_MESSAGE = 'sweep units unreached';
