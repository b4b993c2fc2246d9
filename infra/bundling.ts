/**
 * How every driftguard function is bundled. SST 4.17 minifies a Node function only when its
 * `nodejs` block says so (its Go builder reads `minify` from the block and defaults to false), so
 * the block is explicit. `npm run bench` builds the evaluate handler with these same settings and
 * SST's own esbuild options, so the cold-start row measures what is deployed.
 *
 * Plain data: imported by infra/ and by bench/ (no SST globals here).
 */
export const NODEJS_BUNDLING = { minify: true } as const;
