import type { Config } from '@driftguard/core';
import type { Names } from './naming';
import type { StageSettings } from './stages';

/** What every infra module needs to know about the deployment it is part of. */
export interface DeploymentContext {
  stage: string;
  settings: StageSettings;
  /** The validated driftguard config, defaults filled in. */
  config: Config;
  names: Names;
  /**
   * The central function role's full ARN (infra/central-role.ts names it): its calls are
   * driftguard's own, in this account only (loop guard, core own-identity.ts).
   */
  centralRoleArn: $util.Output<string>;
  account: $util.Output<string>;
  partition: $util.Output<string>;
  region: $util.Output<string>;
  /** sts:ExternalId of the member role's trust, generated per organization (infra/external-id.ts). */
  externalId: $util.Output<string>;
}
