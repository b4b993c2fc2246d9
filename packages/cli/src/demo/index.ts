import { fileURLToPath } from 'node:url';
import { runtimeFromEnv } from '@driftguard/aws';
import type { Config } from '@driftguard/core';
import { bold, dim, green, red, yellow } from '../format';
import { MOTO_INSTALL_HINT, motoAvailable, startMoto } from '../moto';
import { replay } from '../replay';
import { bucketPolicyScene } from './bucket-policy';
import { type DemoContext, type DemoScene, line, step } from './context';
import { endpointPolicyScene } from './endpoint-policy';
import { guarddutyScene } from './guardduty';
import { peeringScene } from './peering';
import { securityGroupScene } from './security-group';
import { snapshotScene } from './snapshot';
import { createAlertTopic } from './sns-inbox';

export const SAMPLES_DIR = fileURLToPath(new URL('../../samples', import.meta.url));

/** The scenes, in order. Each makes a drift for real in moto and shows the verified revert. */
const SCENES: [string, DemoScene][] = [
  ['security group opened to the internet', securityGroupScene],
  ['VPC peering with an account outside the organization', peeringScene],
  ['bucket policy made public: exactly that statement removed', bucketPolicyScene],
  ['VPC endpoint with full access: data-perimeter policy put on', endpointPolicyScene],
  ['EBS snapshot made public and shared outside: exactly those shares removed', snapshotScene],
  ['critical GuardDuty finding: EC2 instance isolated', guarddutyScene],
];

export async function demo(config: Config): Promise<number> {
  console.log(bold('driftguard demo: drift made for real in a local AWS, reverted exactly, verified'));
  if (!motoAvailable()) {
    console.log(
      yellow(`\nmoto (the local AWS emulator) was not found. Install it with:\n  ${MOTO_INSTALL_HINT}\n`) +
        'Meanwhile, here is what driftguard decides for the bundled sample events (replay, no AWS calls):\n',
    );
    await replay(SAMPLES_DIR, { json: false, apply: false, config });
    return 0;
  }

  step('Starting a local AWS (moto) on a free loopback port');
  const moto = await startMoto();
  line(dim(moto.endpoint));
  try {
    const region = 'us-east-1';
    const credentials = { accessKeyId: 'demo', secretAccessKey: 'demo' };
    // The pipeline reads the standard credential chain; point this process (only) at moto.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: region,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
    });
    const clientSettings = { region, endpoint: moto.endpoint, credentials };
    const topicArn = await createAlertTopic(clientSettings);
    line(`alerts: SNS topic ${topicArn} → SQS inbox (to read them back)`);
    const context: DemoContext = {
      endpoint: moto.endpoint,
      region,
      account: '123456789012',
      config,
      runtime: runtimeFromEnv({ ...process.env, DRIFTGUARD_TOPIC_ARN: topicArn }, { config }),
      clientSettings,
      step,
      line,
    };
    const verified: [string, boolean][] = [];
    for (const [name, scene] of SCENES) verified.push([name, await scene(context)]);
    step('Summary');
    for (const [name, ok] of verified)
      line(`${ok ? green('✔ reverted and verified') : red('✘ not verified')}  ${name}`);
    return verified.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    await moto.stop();
  }
}
