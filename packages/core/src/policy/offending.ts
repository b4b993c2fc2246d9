import type { ZoneSnapshot } from '../operations';
import type { TrustZone } from '../trust-zone';
import type { Offense } from '../verdict';
import type { PolicyAnalysis, StatementAnalysis } from './analyze';
import type { PolicyDocument, Statement } from './document';
import { serviceIntegration } from './integrations';
import { statementLabel } from './statements';
import { zoneSnapshot } from './zone';

/** Why an offending statement is alerted on but left in place, and what to do about it instead. */
export interface KeptInPlace {
  why: string;
  advice: string;
}

/**
 * Offending statements that are alerted on but never removed, and what to do instead:
 * - a grant to an AWS service principal without a source pin (confused deputy): the exact
 *   condition to add;
 * - a statement that serves a known AWS service integration (log delivery, replication,
 *   inventory): removing it would cut the integration.
 */
export function keptInPlace(
  analysis: StatementAnalysis,
  statement: Statement | undefined,
  owner: string,
  trustZone: TrustZone,
): KeptInPlace | undefined {
  if (!statement || analysis.status === 'public') return undefined;
  const integration = serviceIntegration(statement);
  const services = analysis.unpinnedServices ?? [];
  if (
    services.length > 0 &&
    analysis.principals.every((p) => p.scope === 'service' || p.scope === 'trust-zone')
  ) {
    const condition = trustZone.organizationId
      ? `"Condition": {"StringEquals": {"aws:SourceOrgID": "${trustZone.organizationId}"}}`
      : `"Condition": {"StringEquals": {"aws:SourceAccount": "${owner}"}}`;
    const cut = integration
      ? `removing it would cut ${integration}`
      : `removing it would cut what ${services.join(', ')} delivers`;
    return {
      why: `a grant to ${services.join(', ')} without a source pin is a confused-deputy risk, not removed (${cut})`,
      advice: `Not removed (${cut}): add ${condition} to the statement (or aws:SourceArn naming the exact source), so that ${services.join(', ')} acts only for the trust zone`,
    };
  }
  if (integration) {
    return {
      why: `removing it would cut ${integration}`,
      advice: `Not removed: removing it would cut ${integration}; narrow it to the trust zone instead`,
    };
  }
  return undefined;
}

/** The offending statements of a policy read the S3 way (bucket, access point, resource) as its verdict reports them. */
export interface OffendingStatements {
  offenses: Offense[];
  /** The statements the revert removes: offending and not kept in place. */
  offending: Statement[];
  /** Statement index → why it is left in place to alert on. */
  kept: Map<number, string>;
  zone: ZoneSnapshot;
  /** "n public", "m granting outside the trust zone", for the summary. */
  parts: string[];
  notReverted: string;
}

/**
 * One reading of an analysis that found offending statements: an offense per statement (critical
 * when public), the statements kept in place (see `keptInPlace`, and `mustKeep` for what a
 * service of its own must keep, e.g. a key's administrators) and the ones a revert removes.
 */
export function offendingStatements(
  analysis: PolicyAnalysis,
  policy: PolicyDocument,
  owner: string,
  trustZone: TrustZone,
  mustKeep?: (statement: Statement) => string | undefined,
): OffendingStatements {
  const offendingAnalyses = analysis.statements.filter((statement) => statement.offending);
  const kept = new Map<number, string>();
  const offenses: Offense[] = offendingAnalyses.map((statement) => {
    const label = statementLabel(statement);
    const source = policy.statements[statement.index];
    const keep = keptInPlace(statement, source, owner, trustZone) ?? serviceKeeps(source, mustKeep);
    if (keep) kept.set(statement.index, `${label}: ${keep.why}`);
    return {
      id: statement.sid ?? `Statement[${statement.index}]`,
      severity: statement.status === 'public' ? 'critical' : 'high',
      reason: keep ? `${label} ${statement.reason}. ${keep.advice}` : `${label} ${statement.reason}`,
      remediable: keep === undefined,
    };
  });
  const offending = policy.statements.filter(
    (statement) =>
      !kept.has(statement.index) && offendingAnalyses.some((found) => found.index === statement.index),
  );
  const publicCount = offendingAnalyses.filter((statement) => statement.status === 'public').length;
  const outsideCount = offendingAnalyses.length - publicCount;
  const parts = [
    ...(publicCount > 0 ? [`${publicCount} public`] : []),
    ...(outsideCount > 0 ? [`${outsideCount} granting outside the trust zone`] : []),
  ];
  return {
    offenses,
    offending,
    kept,
    zone: zoneSnapshot(trustZone, analysis.zoneAccounts),
    parts,
    notReverted: [...kept.values()].join('; '),
  };
}

function serviceKeeps(
  statement: Statement | undefined,
  mustKeep: ((statement: Statement) => string | undefined) | undefined,
): KeptInPlace | undefined {
  const why = statement ? mustKeep?.(statement) : undefined;
  return why ? { why, advice: `Not removed: ${why}` } : undefined;
}
