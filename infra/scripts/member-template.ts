/**
 * Prints the member-account template for a stage (`npm run infra:member-template -- --stage prod`),
 * or writes it with `--out <file>`. `--parameters` prints the stage's parameter values instead,
 * as `aws cloudformation deploy --parameter-overrides` takes them (a hand-made stack for a test
 * account; the management account is covered by the deployment itself, infra/members.ts).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { enabledPlaybooks, parseConfig } from '@driftguard/core';
import { memberParameters, memberTemplate } from '../member-template';
import { knownArns, names } from '../naming';
import { loadStageFile } from '../stages';

const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'prod' },
    out: { type: 'string' },
    parameters: { type: 'boolean', default: false },
    'external-id': { type: 'string' },
  },
});
const stage = values.stage ?? 'prod';
const settings = loadStageFile(stage);
const parsed = parseConfig(settings.config);
if (!parsed.ok) {
  console.error(parsed.reason);
  process.exit(1);
}

// The same names the stack set uses (infra/naming.ts): the stage's role and rule names.
const stageNames = names(stage);
const template = memberTemplate({
  remediationRoleName: settings.config.remediationRoleName ?? stageNames.remediationRole,
  playbooks: enabledPlaybooks(parsed.config.rules['guardduty-finding']),
  forwardingPrefix: stageNames.memberForwardingPrefix,
});

if (values.parameters) {
  const externalId = values['external-id'];
  if (!externalId) {
    console.error('--parameters needs --external-id: the deployment generated it (output memberExternalId)');
    process.exit(1);
  }
  const arns = knownArns(stage, settings.account, settings.region);
  const parameters = memberParameters(template, {
    centralEventBusArn: arns.bus,
    centralFunctionRoleArn: arns.functionRole,
    organizationId: settings.organizationId,
    externalId,
    roleRegion: settings.roleRegion ?? settings.region,
    // The management account forwards its own findings unless the central account administers GuardDuty.
    forwardGuardDutyFindings: settings.guardDutyFindings === 'member-accounts',
  });
  console.log(
    Object.entries(parameters)
      .map(([key, value]) => `${key}=${value}`)
      .join(' '),
  );
} else {
  const text = `${JSON.stringify(template, null, 2)}\n`;
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
}
