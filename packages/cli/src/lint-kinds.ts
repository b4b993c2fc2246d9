/** What `driftguard lint-policy --kind` judges (kept apart so `--help` can list them without loading the analysis). */
export const LINT_KINDS = [
  's3-bucket-policy',
  'vpc-endpoint-policy',
  'endpoint-service-permissions',
] as const;
export type LintKind = (typeof LINT_KINDS)[number];
