/// <reference path="./.sst/platform/config.d.ts" />

/**
 * driftguard's deployment: one central stack per organization, in the security (audit) account.
 * Stage → account/region/organization lives in `stages/<stage>.json` (read and validated by
 * infra/stages.ts; an unknown stage is an error); what gets created is in infra/ (DEPLOY.md walks
 * through it). SST allows no top-level imports here, hence the dynamic ones.
 */
export default $config({
  async app(input) {
    const { appSettings } = await import('./infra/stages');
    const settings = appSettings(input.stage);
    return {
      name: 'driftguard',
      home: 'aws',
      // Production keeps its table, topic and queues if the app is removed, and refuses `sst remove`.
      removal: settings.production ? 'retain' : 'remove',
      protect: settings.production,
      providers: {
        aws: {
          // Pinned: the infra tests lean on this exact provider's resource shapes (DESIGN.md §6).
          version: '7.20.0',
          region: settings.region as aws.Region,
          ...(settings.account ? { allowedAccountIds: [settings.account] } : {}),
        },
      },
    };
  },
  async run() {
    const { deployDriftguard } = await import('./infra');
    return await deployDriftguard($app.stage);
  },
});
