import { GetBucketLocationCommand, paginateListBuckets, S3Client } from '@aws-sdk/client-s3';
import type { DescribeScope } from './describer';

export interface SweptBucket {
  name: string;
  region: string;
  /** An S3 client in the bucket's own region (S3 answers bucket calls from there). */
  s3: S3Client;
}

/** `GetBucketLocation` answers null for us-east-1 and "EU" for the oldest eu-west-1 buckets. */
function regionOf(constraint: string | undefined): string {
  if (!constraint) return 'us-east-1';
  return constraint === 'EU' ? 'eu-west-1' : constraint;
}

/** The account's buckets in the regions the sweep covers (S3 lists every region's buckets at once). */
export async function* bucketsInScope(scope: DescribeScope): AsyncIterable<SweptBucket> {
  const home = await scope.clients.get(S3Client, { account: scope.account, region: scope.region });
  for await (const page of paginateListBuckets({ client: home, pageSize: 1000 }, {})) {
    for (const bucket of page.Buckets ?? []) {
      if (!bucket.Name) continue;
      const region =
        bucket.BucketRegion ??
        regionOf((await home.send(new GetBucketLocationCommand({ Bucket: bucket.Name }))).LocationConstraint);
      if (!scope.regions.includes(region)) continue;
      const s3 = await scope.clients.get(S3Client, { account: scope.account, region });
      yield { name: bucket.Name, region, s3 };
    }
  }
}
