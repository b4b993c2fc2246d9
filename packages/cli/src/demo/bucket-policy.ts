import { CreateBucketCommand, GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { putBucketPolicyForReal } from '../simulate/s3';
import { type DemoScene, showProcessed } from './context';

interface Statement {
  Sid?: string;
  Principal?: unknown;
  Action?: unknown;
}

/**
 * A bucket policy that lets one role of the account read reports; an engineer adds a statement that
 * makes every object public in the same PutBucketPolicy. driftguard removes exactly that statement
 * (the role's grant stays, Sid and order kept) and reads the policy back to verify.
 */
export const bucketPolicyScene: DemoScene = async (context) => {
  const s3 = new S3Client({ ...context.clientSettings, forcePathStyle: true });
  const bucket = 'acme-quarterly-reports';
  const objects = `arn:aws:s3:::${bucket}/*`;
  const analyticsRead = {
    Sid: 'AnalyticsRead',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${context.account}:role/analytics` },
    Action: 's3:GetObject',
    Resource: objects,
  };
  const publicRead = {
    Sid: 'PublicRead',
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: objects,
  };

  context.step(`Creating bucket ${bucket}; its policy lets the analytics role read`);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  context.step(
    'An engineer adds a public-read statement ("Principal": "*") to the policy, in one PutBucketPolicy',
  );
  const event = await putBucketPolicyForReal(s3, {
    account: context.account,
    region: context.region,
    bucket,
    policy: { Version: '2012-10-17', Statement: [analyticsRead, publicRead] },
  });
  const detail = event.detail as { eventID: string; userIdentity: { arn: string } };
  context.line(`who:   ${detail.userIdentity.arn}`);
  context.line(
    `what:  s3:PutBucketPolicy on ${bucket} (AnalyticsRead, PublicRead)   (CloudTrail event ${detail.eventID})`,
  );

  context.step('driftguard evaluates the CloudTrail event');
  const processed = await context.runtime.pipeline.process(event);
  showProcessed(context, processed);

  context.step('Verified result: the policy read back from S3');
  const { Policy } = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
  const statements = (JSON.parse(Policy ?? '{}') as { Statement?: Statement[] }).Statement ?? [];
  for (const statement of statements) {
    context.line(
      `still in the policy: ${statement.Sid} ${JSON.stringify(statement.Principal)} ${statement.Action}`,
    );
  }
  const onlyTheRoleLeft = statements.length === 1 && statements[0]?.Sid === 'AnalyticsRead';
  return processed.outcome.status === 'reverted' && processed.outcome.verified && onlyTheRoleLeft;
};
