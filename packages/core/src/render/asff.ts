import type { Report } from '../outcome';
import type { Severity } from '../verdict';
import { oneLine, truncate } from './escape';
import { ticketKey } from './ticket';

/**
 * A violation as an AWS Security Finding Format (ASFF) finding, the shape Security Hub imports.
 * Plain data (core has no SDK): packages/aws sends it with BatchImportFindings.
 *
 * Every text field holds untrusted values (resource names, actors, user agents, AWS error
 * messages): each is one line, without control or bidi characters, cut to the field's ASFF limit
 * (Title 256, Description 1024, Note 512, ProductFields values 2048) so Security Hub never refuses
 * the finding for its size and the console shows what the event said, inert.
 */

export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** ASFF field limits (Security Hub API reference, AwsSecurityFinding). */
export const ASFF_LIMITS = { title: 256, description: 1024, note: 512, productFieldValue: 2048 } as const;
/** The ASFF type of every driftguard finding: a configuration that breaks a security practice. */
export const ASFF_TYPE = 'Software and Configuration Checks/AWS Security Best Practices';
/** Who the note of a resolved finding says resolved it. */
export const ASFF_NOTE_AUTHOR = 'driftguard';

export type AsffSeverityLabel = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type AsffWorkflowStatus = 'NEW' | 'RESOLVED';

/** The partitions ASFF resources name (the SDK's Partition values). */
export const ASFF_PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type AsffPartition = (typeof ASFF_PARTITIONS)[number];

/** Where findings go: the security account's default product in one region. */
export interface AsffTarget {
  partition: AsffPartition;
  region: string;
  /** The security account: with the default product ARN, the caller's own account (AWS requires it). */
  account: string;
}

/** The fields driftguard sets (a subset of the SDK's AwsSecurityFinding, same names and shapes). */
export interface AsffFinding {
  SchemaVersion: string;
  Id: string;
  ProductArn: string;
  GeneratorId: string;
  AwsAccountId: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  FirstObservedAt: string;
  LastObservedAt: string;
  Severity: { Label: AsffSeverityLabel; Original: Severity };
  FindingProviderFields: { Severity: { Label: AsffSeverityLabel; Original: Severity }; Types: string[] };
  Title: string;
  Description: string;
  Resources: { Type: string; Id: string; Partition: AsffPartition; Region: string }[];
  ProductFields: Record<string, string>;
  Compliance: { Status: 'PASSED' | 'FAILED' };
  Workflow: { Status: AsffWorkflowStatus };
  RecordState: 'ACTIVE';
  Note?: { Text: string; UpdatedBy: string; UpdatedAt: string };
}

/** The account's own product: findings a customer imports without a partner integration. */
export function defaultProductArn(target: AsffTarget): string {
  return `arn:${target.partition}:securityhub:${target.region}:${target.account}:product/${target.account}/default`;
}

/**
 * A verified revert resolves the finding; so does a re-read that found the resource already
 * compliant (someone fixed it first). Shadow, alert, ticket, exempted and failed reverts stay NEW.
 */
export function resolvesFinding(report: Report): boolean {
  const { status, verified } = report.outcome;
  return verified && (status === 'reverted' || status === 'already-compliant');
}

/** CloudFormation type → ASFF resource type: AWS::EC2::SecurityGroup → AwsEc2SecurityGroup, else Other. */
export function asffResourceType(cloudFormationType: string): string {
  const parts = cloudFormationType.split('::');
  if (parts.length !== 3 || parts[0] !== 'AWS' || parts.some((part) => !/^[A-Za-z0-9]+$/.test(part)))
    return 'Other';
  // Acronyms become words, as ASFF spells them: EC2 → Ec2, VPCEndpoint → VpcEndpoint, DBSnapshot → DbSnapshot.
  const words = (part: string) =>
    part.replace(
      /[A-Z]+(?=[A-Z][a-z])|[A-Z]+(?![a-z])/g,
      (run) => run.charAt(0) + run.slice(1).toLowerCase(),
    );
  return parts.map(words).join('');
}

const text = (value: string, max: number) => truncate(oneLine(value), max);

/**
 * The finding for a violation, or undefined when the report holds none. `id` is the stable
 * (rule, resource) identity (the caller hashes it: see packages/aws security-hub.ts), so a
 * repeat updates one finding; `now` is UpdatedAt.
 */
export function renderAsffFinding(
  report: Report,
  options: { id: string; target: AsffTarget; now: string },
): AsffFinding | undefined {
  const { assessment, outcome } = report;
  const key = ticketKey(report);
  const violation = assessment.results.find((result) => result.verdict.kind === 'violation')?.verdict;
  if (!key || !assessment.rule || violation?.kind !== 'violation') return undefined;
  const { event } = assessment;
  const severity = assessment.severity ?? violation.severity;
  const label = severity.toUpperCase() as AsffSeverityLabel;
  const resolved = resolvesFinding(report);
  const offenses = violation.offenses.map((offense) => offense.reason);
  const description = [
    offenses.length > 0 ? `${violation.summary}: ${offenses.join('; ')}.` : `${violation.summary}.`,
    `Decision: ${assessment.action} (${assessment.decisionReason}).`,
    `Outcome: ${outcome.summary}.`,
    `Changed by ${event.actor} with ${event.eventName} in ${event.account}/${event.region} at ${event.eventTime}.`,
  ].join(' ');
  const field = (value: string) => text(value, ASFF_LIMITS.productFieldValue);
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: options.id,
    ProductArn: defaultProductArn(options.target),
    GeneratorId: `driftguard/${assessment.rule}`,
    AwsAccountId: options.target.account,
    Types: [ASFF_TYPE],
    // The event that made this version of the finding; UpdatedAt moves on every import.
    CreatedAt: event.eventTime,
    UpdatedAt: options.now,
    FirstObservedAt: event.eventTime,
    LastObservedAt: event.eventTime,
    Severity: { Label: label, Original: severity },
    FindingProviderFields: { Severity: { Label: label, Original: severity }, Types: [ASFF_TYPE] },
    Title: text(`${assessment.title ?? assessment.rule}: ${violation.resource.id}`, ASFF_LIMITS.title),
    Description: text(description, ASFF_LIMITS.description),
    Resources: [
      {
        Type: asffResourceType(violation.resource.type),
        // An ARN when the guardrail knows it: it names the member account the resource lives in.
        Id: text(key.resource, ASFF_LIMITS.productFieldValue),
        Partition: options.target.partition,
        Region: event.region,
      },
    ],
    ProductFields: {
      'driftguard/rule': field(assessment.rule),
      'driftguard/account': field(event.account),
      'driftguard/eventId': field(event.eventId),
      'driftguard/eventName': field(event.eventName),
      'driftguard/actor': field(event.actor),
      'driftguard/action': field(assessment.action),
      'driftguard/outcome': field(outcome.status),
      'driftguard/verified': String(outcome.verified),
    },
    // Compliance FAILED after PASSED makes Security Hub reopen a RESOLVED finding (workflow NEW):
    // a repeat of the violation after a revert needs no other call.
    Compliance: { Status: resolved ? 'PASSED' : 'FAILED' },
    Workflow: { Status: resolved ? 'RESOLVED' : 'NEW' },
    RecordState: 'ACTIVE',
    ...(resolved
      ? { Note: { Text: resolutionNote(report), UpdatedBy: ASFF_NOTE_AUTHOR, UpdatedAt: options.now } }
      : {}),
  };
}

/** The note of a resolved finding: what driftguard did and that it re-read the result. */
export function resolutionNote(report: Report): string {
  const { outcome, assessment } = report;
  return text(
    `driftguard ${outcome.summary} after event ${assessment.event.eventId} (${assessment.event.eventName} by ${assessment.event.actor}).`,
    ASFF_LIMITS.note,
  );
}
