import { readFile } from 'node:fs/promises';
import {
  type AllowedPrincipalFinding,
  analyzeAllowedPrincipals,
  analyzeBucketPolicyWith,
  analyzeEndpointPolicyWith,
  type Config,
  defaultConfig,
  parsePolicy,
  type StatementAnalysis,
  type TrustZone,
  type ZoneContext,
} from '@driftguard/core';
import { EXIT, UsageError } from './errors';
import { bold, dim, green, red } from './format';
import { LINT_KINDS, type LintKind } from './lint-kinds';

export { LINT_KINDS, type LintKind };

export interface LintOptions {
  kind: string;
  orgId?: string;
  /** The account that owns the resource; always inside the trust zone. */
  account?: string;
  trustedAccounts?: string[];
  json: boolean;
  /** Rule settings (trustedPrincipals, networkConditionsPin, requirePerimeter) and trust zone from a config file. */
  config?: Config;
  out?: NodeJS.WritableStream;
}

/** One entry of `--json` output: a statement (or, for endpoint services, one allowed principal). */
export interface LintFinding {
  statement: number;
  sid: string | null;
  status: string;
  reason: string;
  principals: { type: string; value: string; scope: string; reason: string }[];
  conditions: {
    operator: string;
    key: string;
    values: string[];
    restrictsPublic: boolean;
    pin: string | null;
    reason: string;
  }[];
}

export interface LintReport {
  kind: LintKind;
  verdict: 'violation' | 'compliant';
  /** The offending statements (or principals), with why. */
  findings: LintFinding[];
  /** Every statement (or principal), offending or not, with why. */
  statements: LintFinding[];
}

const ACCOUNT = /^\d{12}$/;
const ORG = /^o-[a-z0-9]{10,32}$/;

async function readText(path: string): Promise<{ text: string; where: string }> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString('utf8'), where: '<stdin>' };
  }
  try {
    return { text: await readFile(path, 'utf8'), where: path };
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(
      code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot be read (${(error as Error).message})`,
    );
  }
}

function zoneOf(options: LintOptions, config: Config): ZoneContext {
  if (options.orgId !== undefined && !ORG.test(options.orgId)) {
    throw new UsageError(`--org-id "${options.orgId}" is not an organization id such as o-a1b2c3d4e5`);
  }
  for (const account of [...(options.account ? [options.account] : []), ...(options.trustedAccounts ?? [])]) {
    if (!ACCOUNT.test(account)) throw new UsageError(`"${account}" is not a 12-digit AWS account id`);
  }
  const organizationId = options.orgId ?? config.organizationId;
  const trustZone: TrustZone = {
    ...(organizationId ? { organizationId } : {}),
    accounts: new Set([...config.trustedAccounts, ...(options.trustedAccounts ?? [])]),
  };
  return {
    trustZone,
    ...(options.account ? { owner: options.account } : {}),
    trustedPrincipals: config.rules['s3-bucket-policy'].trustedPrincipals,
  };
}

function statementFinding(statement: StatementAnalysis): LintFinding {
  return {
    statement: statement.index,
    sid: statement.sid ?? null,
    status: statement.status,
    reason: statement.reason,
    principals: statement.principals.map(({ type, value, scope, reason }) => ({
      type,
      value,
      scope,
      reason,
    })),
    conditions: statement.conditions.map((condition) => ({
      operator: condition.operator,
      key: condition.key,
      values: condition.values,
      restrictsPublic: condition.restrictsPublic,
      pin: condition.pin ? `${condition.pin.axis}:${condition.pin.scope}` : null,
      reason: condition.reason,
    })),
  };
}

function principalFinding(finding: AllowedPrincipalFinding): LintFinding {
  return {
    statement: finding.index,
    sid: null,
    status: finding.offending
      ? finding.scope === 'anonymous'
        ? 'public'
        : 'outside-trust-zone'
      : 'trust-zone',
    reason: finding.reason,
    principals: [{ type: 'AWS', value: finding.principal, scope: finding.scope, reason: finding.reason }],
    conditions: [],
  };
}

/** A JSON array of principal ARNs, or DescribeVpcEndpointServicePermissions' `{"AllowedPrincipals": […]}`. */
function allowedPrincipals(value: unknown, where: string): string[] {
  const list =
    typeof value === 'object' && value !== null && !Array.isArray(value) && 'AllowedPrincipals' in value
      ? (value as { AllowedPrincipals: unknown }).AllowedPrincipals
      : value;
  const bad = `${where}: not a list of principals: expected a JSON array of principal ARNs or {"AllowedPrincipals": [...]}`;
  if (!Array.isArray(list)) throw new UsageError(bad);
  return list.map((item, index) => {
    if (typeof item === 'string' && item.length > 0) return item;
    const principal = (item as { Principal?: unknown } | null)?.Principal;
    if (typeof principal === 'string' && principal.length > 0) return principal;
    throw new UsageError(`${bad} (item ${index} is neither an ARN nor {"Principal": "…"})`);
  });
}

/** Judges one document; throws UsageError for input that is not what `kind` expects. */
export function lintDocument(
  text: string,
  where: string,
  kind: LintKind,
  zone: ZoneContext,
  config: Config,
): LintReport {
  if (kind === 'endpoint-service-permissions') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${where}: not JSON (${(error as Error).message})`);
    }
    const statements = analyzeAllowedPrincipals(allowedPrincipals(value, where), zone).map(principalFinding);
    const findings = statements.filter((finding) => finding.status !== 'trust-zone');
    return { kind, verdict: findings.length > 0 ? 'violation' : 'compliant', findings, statements };
  }
  const parsed = parsePolicy(text);
  if (!parsed.ok) {
    throw new UsageError(
      `${where}: ${parsed.reason.startsWith('not JSON') || parsed.reason.startsWith('not a policy') ? parsed.reason : `not a valid policy: ${parsed.reason}`}`,
    );
  }
  const missing = parsed.policy.statements.find(
    (statement) => !statement.principal && !statement.notPrincipal,
  );
  if (missing) {
    throw new UsageError(
      `${where}: not a valid ${kind}: Statement[${missing.index}] has neither Principal nor NotPrincipal (AWS requires one in ${kind === 's3-bucket-policy' ? 'bucket' : 'endpoint'} policies)`,
    );
  }
  const analysis =
    kind === 's3-bucket-policy'
      ? analyzeBucketPolicyWith(parsed.policy, zone, config)
      : analyzeEndpointPolicyWith(parsed.policy, zone, config);
  const statements = analysis.statements.map(statementFinding);
  return {
    kind,
    verdict: analysis.verdict,
    findings: statements.filter((_, index) => analysis.statements[index]?.offending === true),
    statements,
  };
}

function printHuman(report: LintReport, where: string, zone: ZoneContext, out: NodeJS.WritableStream): void {
  const unit = report.kind === 'endpoint-service-permissions' ? 'principal' : 'statement';
  const verdict = report.verdict === 'violation' ? red('violation') : green('compliant');
  out.write(
    `${bold(`${report.kind} ${where}`)}: ${verdict} — ${report.findings.length} of ${report.statements.length} ${unit}(s) offend\n`,
  );
  for (const finding of report.statements) {
    const offending = report.findings.includes(finding);
    const mark = offending ? red('✘') : finding.status === 'deny' ? dim('·') : green('✔');
    const label =
      unit === 'principal'
        ? `${finding.principals[0]?.value}`
        : `Statement[${finding.statement}]${finding.sid ? ` "${finding.sid}"` : ''}`;
    out.write(`  ${mark} ${label} ${offending ? red(finding.status) : finding.status}\n`);
    out.write(`      ${finding.reason}\n`);
    if (unit === 'statement' && offending) {
      for (const principal of finding.principals) {
        const who = principal.type === '*' ? '"*"' : `${principal.type}:${principal.value}`;
        out.write(dim(`      principal ${who} — ${principal.reason}\n`));
      }
      for (const condition of finding.conditions) {
        out.write(
          dim(
            `      condition ${condition.operator} ${condition.key} [${condition.values.join(', ')}] — ${condition.reason}\n`,
          ),
        );
      }
    }
  }
  const accounts = [...zone.trustZone.accounts];
  out.write(
    dim(
      `trust zone: organization ${zone.trustZone.organizationId ?? '(unknown: --org-id)'} · owner ${zone.owner ?? '(unknown: --account)'} · trusted accounts ${accounts.length > 0 ? accounts.join(', ') : '(none)'}\n`,
    ),
  );
}

/**
 * `driftguard lint-policy`: the guardrails' own analysis of a policy before it ships. Exit 0
 * compliant, 1 violation, 2 bad input (not JSON, not a policy, unknown kind).
 */
export async function lintPolicy(path: string, options: LintOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  if (!(LINT_KINDS as readonly string[]).includes(options.kind)) {
    throw new UsageError(`unknown --kind "${options.kind}": expected one of ${LINT_KINDS.join(', ')}`);
  }
  const kind = options.kind as LintKind;
  const config = options.config ?? defaultConfig();
  const zone = zoneOf(options, config);
  const { text, where } = await readText(path);
  if (text.trim().length === 0) throw new UsageError(`${where}: empty input`);
  const report = lintDocument(text, where, kind, zone, config);
  if (options.json) out.write(`${JSON.stringify(report)}\n`);
  else printHuman(report, where, zone, out);
  return report.verdict === 'violation' ? EXIT.violations : EXIT.ok;
}
