import type { Config } from '../config';
import type { TrustZone } from '../trust-zone';
import { analyzeBucketPolicy, type PolicyAnalysis } from './analyze';
import type { PolicyDocument } from './document';
import type { ZoneContext } from './principals';

/**
 * The rules that read a policy the way S3 reads a bucket policy, each with its own settings
 * (`trustedPrincipals`, `networkConditionsPin`). The access point rule uses s3-bucket-policy's.
 */
type S3ReadingRule = 's3-bucket-policy' | 'resource-policy';

function zoneOf(rule: S3ReadingRule, config: Config, trustZone: TrustZone, owner: string): ZoneContext {
  return { trustZone, owner, trustedPrincipals: config.rules[rule].trustedPrincipals };
}

function analyzeAs(
  rule: S3ReadingRule,
  policy: PolicyDocument,
  zone: ZoneContext,
  config: Config,
): PolicyAnalysis {
  return analyzeBucketPolicy(policy, zone, { networkConditionsPin: config.rules[rule].networkConditionsPin });
}

/** Who is inside for a bucket of `owner`: the trust zone, the owner, and the rule's trusted principals. */
export function bucketZone(config: Config, trustZone: TrustZone, owner: string): ZoneContext {
  return zoneOf('s3-bucket-policy', config, trustZone, owner);
}

/** The bucket-policy reading with s3-bucket-policy's settings. */
export function analyzeBucketPolicyWith(
  policy: PolicyDocument,
  zone: ZoneContext,
  config: Config,
): PolicyAnalysis {
  return analyzeAs('s3-bucket-policy', policy, zone, config);
}

/** Who is inside for a resource of `owner`: the trust zone, the owner, and the rule's trusted principals. */
export function resourcePolicyZone(config: Config, trustZone: TrustZone, owner: string): ZoneContext {
  return zoneOf('resource-policy', config, trustZone, owner);
}

/** The bucket-policy reading (S3's "public", then the trust zone), with resource-policy's settings. */
export function analyzeResourcePolicyWith(
  policy: PolicyDocument,
  zone: ZoneContext,
  config: Config,
): PolicyAnalysis {
  return analyzeAs('resource-policy', policy, zone, config);
}
