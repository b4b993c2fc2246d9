/**
 * How every driftguard function is bundled. SST 4.17 minifies a Node function only when its
 * `nodejs` block says so (its Go builder reads `minify` from the block and defaults to false), so
 * the block is explicit. `splitting` makes each dynamic `import()` a chunk file of its own (ESM,
 * next to the handler in the artifact): the evaluate function loads its executor and the Security
 * Hub exporter on first use (packages/aws/src/deferred.ts), so they stay out of its cold start.
 * `npm run bench` builds the evaluate handler with these same settings and SST's own esbuild
 * options (bench/sst-build.ts), so the cold-start row measures what is deployed.
 *
 * Plain data: imported by infra/ and by bench/ (no SST globals here).
 */
export const NODEJS_BUNDLING = { minify: true, splitting: true } as const;
