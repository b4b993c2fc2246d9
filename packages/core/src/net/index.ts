export { cidrOutsideTrusted } from './cidr';
export { describeRule, type IngressRule } from './sg-rule';
export { modifiedRules } from './sg-rule-changes';
export { classifyIngressRule } from './sg-rule-classification';
export {
  fromRuleRequest,
  parseSgRuleSnapshot,
  type SecurityGroupRuleRequest,
  SG_RULE_SNAPSHOT_KIND,
} from './sg-rule-snapshot';
