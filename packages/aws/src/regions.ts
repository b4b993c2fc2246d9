import { DescribeRegionsCommand, type EC2Client } from '@aws-sdk/client-ec2';

/**
 * The regions enabled for the account driftguard runs in (opt-in regions only when opted in),
 * sorted. Member accounts of an organization usually share the same set; a region a member has
 * not enabled fails that account's units in the sweep report, without stopping the rest.
 */
export async function enabledRegions(ec2: EC2Client): Promise<string[]> {
  const { Regions } = await ec2.send(
    new DescribeRegionsCommand({
      AllRegions: false,
      Filters: [{ Name: 'opt-in-status', Values: ['opt-in-not-required', 'opted-in'] }],
    }),
  );
  return (Regions ?? [])
    .map((region) => region.RegionName)
    .filter((name): name is string => typeof name === 'string')
    .sort();
}

/** A comma- or space-separated list (`--regions a,b`, `DRIFTGUARD_SWEEP_REGIONS`), trimmed, without empties. */
export function parseList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  return items.length > 0 ? [...new Set(items)] : undefined;
}
