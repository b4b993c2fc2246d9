import { GetAccessPointPolicyCommand, ListAccessPointsCommand } from '@aws-sdk/client-s3-control';
import { S3_ACCESS_POINT_POLICY_RULE } from '@driftguard/core';
import { awsErrorCode } from '../errors';
import { S3ControlClientAtEndpoint } from '../executor/s3';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';

/**
 * Every access point of the account in the region (ListAccessPoints is regional), its policy read
 * as the PutAccessPointPolicy that set it, in the shape CloudTrail records S3 Control bodies.
 */
export const s3AccessPointsDescriber: Describer = {
  id: 's3-access-points',
  rules: [S3_ACCESS_POINT_POLICY_RULE],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const control = await scope.clients.get(S3ControlClientAtEndpoint, {
      account: scope.account,
      region: scope.region,
    });
    let NextToken: string | undefined;
    do {
      const page = await control.send(new ListAccessPointsCommand({ AccountId: scope.account, NextToken }));
      for (const accessPoint of page.AccessPointList ?? []) {
        const Name = accessPoint.Name;
        if (!Name) continue;
        let policy: string | undefined;
        try {
          ({ Policy: policy } = await control.send(
            new GetAccessPointPolicyCommand({ AccountId: scope.account, Name }),
          ));
        } catch (error) {
          const code = awsErrorCode(error);
          // No policy grants nothing beyond the bucket's own; one deleted since the listing is gone.
          if (code === 'NoSuchAccessPointPolicy' || code === 'NoSuchAccessPoint') continue;
          throw error;
        }
        if (!policy) continue;
        yield sweepEvent(scope, {
          eventSource: 's3.amazonaws.com',
          eventName: 'PutAccessPointPolicy',
          resourceId: Name,
          requestParameters: { name: Name, PutAccessPointPolicyRequest: { Policy: policy } },
        });
      }
      NextToken = page.NextToken;
    } while (NextToken);
  },
};
