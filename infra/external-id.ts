/**
 * The `sts:ExternalId` the member remediation role requires and the central functions present.
 * Generated once per deployment (so per organization and stage) and kept in the stack's state:
 * nobody picks it, so no two organizations share one and no example value ever reaches a trust
 * policy. It is not a secret (it defeats the confused deputy, not an attacker holding the central
 * role), but Pulumi keeps it encrypted anyway. The member stacks and the functions get it in the
 * same deploy, so they always agree.
 *
 * `@pulumi/random` is the provider SST itself uses for every function's link key: it resolves from
 * `.sst/platform/node_modules` at deploy time and needs nothing beyond what SST already installs.
 * It is imported dynamically (`loadRandomProvider`, called by `deployDriftguard`): SST bundles
 * sst.config.ts with everything it imports and evaluates `app()` during `sst install`, before
 * `.sst/platform/node_modules` exists, so a static import of the package breaks `sst install` on
 * a fresh clone. A dynamic import of a package stays dynamic in the bundle.
 */
let RandomBytes: typeof import('@pulumi/random').RandomBytes | undefined;

export async function loadRandomProvider(): Promise<void> {
  RandomBytes ??= (await import('@pulumi/random')).RandomBytes;
}

export function externalId(): $util.Output<string> {
  if (!RandomBytes) throw new Error('infra: call loadRandomProvider() before building the stack');
  // 24 bytes → 48 hex characters, well inside IAM's ExternalId limits (2-1224 of [\w+=,.@:/-]).
  return new RandomBytes('MemberExternalId', { length: 24 }).hex;
}
