import type { Config } from '../config';
import type { Change } from '../events/change';
import { isRecord, toStr } from '../events/ec2-sets';
import { analyzeBucketPolicy, type PolicyAnalysis } from '../policy/analyze';
import { type PolicyDocument, parsePolicy, type Statement } from '../policy/document';
import { ACCOUNT_ID, type ZoneContext } from '../policy/principals';
import { statementLabel, statementRef } from '../policy/statements';
import { unreadablePolicyVerdict } from '../policy/unreadable';
import { zoneSnapshot } from '../policy/zone';
import type { TrustZone } from '../trust-zone';
import type { ResourceRef, Verdict } from '../verdict';
import type { Guardrail, GuardrailDocs } from './guardrail';

export const LAMBDA_PUBLIC_RULE = 'lambda-public';

/** Lambda's CloudTrail names carry the API version (`AddPermission20150331v2`): matched by prefix. */
const ADD_PERMISSION = 'AddPermission';
const URL_CALLS = ['CreateFunctionUrlConfig', 'UpdateFunctionUrlConfig'] as const;

/** A function as a call names it: name, full ARN or partial ARN, with an optional qualifier. */
export interface FunctionRef {
  /** What the API is given back (as recorded): name or ARN, without the qualifier. */
  functionName: string;
  /** The bare name, for messages, config lists and the resource id. */
  name: string;
  qualifier?: string;
}

/**
 * `my-function`, `my-function:v1`, `123456789012:function:my-function[:q]`,
 * `arn:aws:lambda:<region>:<account>:function:my-function[:q]`. An ARN of another account names
 * nothing this account's record can change.
 */
export function functionRef(raw: unknown, qualifier: unknown, account: string): FunctionRef | undefined {
  const text = toStr(raw);
  if (!text) return undefined;
  const parts = text.split(':');
  let name: string | undefined;
  let inline: string | undefined;
  if (parts[0] === 'arn') {
    if (parts[2] !== 'lambda' || parts[4] !== account || parts[5] !== 'function') return undefined;
    [name, inline] = [parts[6], parts[7]];
  } else if (parts.length >= 3 && ACCOUNT_ID.test(parts[0] ?? '') && parts[1] === 'function') {
    if (parts[0] !== account) return undefined;
    [name, inline] = [parts[2], parts[3]];
  } else {
    [name, inline] = [parts[0], parts[1]];
  }
  if (!name) return undefined;
  const explicit = toStr(qualifier) ?? inline;
  const functionName = inline ? text.slice(0, text.length - inline.length - 1) : text;
  return { functionName, name, ...(explicit ? { qualifier: explicit } : {}) };
}

export function functionResource(ref: FunctionRef, account: string, region: string): ResourceRef {
  const qualified = ref.qualifier ? `${ref.name}:${ref.qualifier}` : ref.name;
  return {
    type: 'AWS::Lambda::Function',
    id: qualified,
    arn: `arn:aws:lambda:${region}:${account}:function:${qualified}`,
  };
}

/** Who AddPermission's `principal` names: `*`, an account id (stored as its root), a service or an ARN. */
function principalElement(principal: string): unknown {
  if (principal === '*') return '*';
  if (ACCOUNT_ID.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (principal.startsWith('arn:')) return { AWS: principal };
  return { Service: principal };
}

/**
 * A statement with the principal as AddPermission takes it (a bare account id or service name, as
 * moto stores it) read the way Lambda stores it: `{"AWS": "arn:…:root"}` or `{"Service": …}`.
 */
function withLambdaPrincipal(statement: unknown): unknown {
  if (!isRecord(statement) || typeof statement.Principal !== 'string') return statement;
  return { ...statement, Principal: principalElement(statement.Principal) };
}

/** A function policy (GetPolicy's text), statements read as Lambda stores them. */
export function parseLambdaPolicy(text: string): ReturnType<typeof parsePolicy> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return parsePolicy(text);
  }
  if (!isRecord(document)) return parsePolicy(document);
  const statements = document.Statement;
  return parsePolicy({
    ...document,
    Statement: Array.isArray(statements)
      ? statements.map(withLambdaPrincipal)
      : withLambdaPrincipal(statements),
  });
}

/**
 * The statement the call added: Lambda returns it (`responseElements.statement`, JSON text) exactly
 * as stored; older or trimmed records only carry the request, rebuilt the way Lambda stores it.
 */
export function addedStatement(change: Change, resourceArn: string): unknown {
  const returned = change.response.statement;
  if (typeof returned === 'string' && returned.length > 0) {
    try {
      return withLambdaPrincipal(JSON.parse(returned));
    } catch {
      return returned;
    }
  }
  if (isRecord(returned)) return withLambdaPrincipal(returned);
  const request = change.request;
  const principal = toStr(request.principal);
  if (!principal) return undefined;
  const conditions: Record<string, Record<string, string>> = {};
  const add = (operator: string, key: string, value: unknown) => {
    const text = toStr(value);
    if (text) conditions[operator] = { ...conditions[operator], [key]: text };
  };
  add('ArnLike', 'AWS:SourceArn', request.sourceArn);
  add('StringEquals', 'AWS:SourceAccount', request.sourceAccount);
  add('StringEquals', 'aws:PrincipalOrgID', request.principalOrgID);
  add('StringEquals', 'lambda:FunctionUrlAuthType', request.functionUrlAuthType);
  add('StringEquals', 'lambda:EventSourceToken', request.eventSourceToken);
  return {
    ...(toStr(request.statementId) ? { Sid: toStr(request.statementId) } : {}),
    Effect: 'Allow',
    Principal: principalElement(principal),
    Action: toStr(request.action) ?? 'lambda:InvokeFunction',
    Resource: resourceArn,
    ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
  };
}

function lambdaZone(trustZone: TrustZone, owner: string): ZoneContext {
  return { trustZone, owner, trustedPrincipals: [] };
}

/** A function policy, read like a bucket policy statement by statement (same trust zone, same pins). */
export function analyzeLambdaPolicy(
  policy: PolicyDocument,
  trustZone: TrustZone,
  owner: string,
): PolicyAnalysis {
  return analyzeBucketPolicy(policy, lambdaZone(trustZone, owner));
}

const actionsOf = (statement: Statement): string[] => {
  const action = (statement.source as Record<string, unknown>).Action;
  return (Array.isArray(action) ? action : [action]).filter((a): a is string => typeof a === 'string');
};

function judgePermission(change: Change, ref: FunctionRef, config: Config, trustZone: TrustZone): Verdict {
  const resource = functionResource(ref, change.account, change.region);
  const raw = addedStatement(change, resource.arn ?? '');
  if (raw === undefined) {
    return {
      kind: 'not-applicable',
      summary: `the record carries no principal or statement for ${ref.name} (unreadable record); the sweep re-checks live state`,
    };
  }
  const parsed = parsePolicy({ Version: '2012-10-17', Statement: [raw] });
  if (!parsed.ok) {
    return unreadablePolicyVerdict(resource, `the permission added to ${ref.name}`, parsed.reason);
  }
  const statement = parsed.policy.statements[0] as Statement;
  const judged = analyzeLambdaPolicy(parsed.policy, trustZone, change.account);
  const analysis = judged.statements[0] as PolicyAnalysis['statements'][number];
  // A function policy statement is known by its Sid (the StatementId of AddPermission).
  const label = analysis.sid ? `"${analysis.sid}"` : statementLabel(analysis);
  if (!analysis.offending) {
    return {
      kind: 'compliant',
      resource,
      summary: `permission ${label} on ${ref.name}: ${analysis.reason}`,
    };
  }
  const urlOnly = actionsOf(statement).every((action) => action.toLowerCase() === 'lambda:invokefunctionurl');
  if (urlOnly && config.rules['lambda-public'].publicUrlAllowed.includes(ref.name)) {
    return {
      kind: 'compliant',
      resource,
      summary: `permission ${label} on ${ref.name} opens its function URL only, and ${ref.name} is in publicUrlAllowed`,
    };
  }
  const sid = toStr(change.request.statementId) ?? analysis.sid;
  const services = analysis.unpinnedServices ?? [];
  const confusedDeputy = analysis.status !== 'public' && services.length > 0;
  const advice = confusedDeputy
    ? `. Not removed (removing it would cut what ${services.join(', ')} delivers): add the permission again with SourceAccount ${change.account} or a SourceArn naming the exact source, so that ${services.join(', ')} invokes it only for the trust zone`
    : '';
  const remediable = !confusedDeputy && sid !== undefined;
  const zone = zoneSnapshot(trustZone, judged.zoneAccounts);
  const severity = analysis.status === 'public' ? 'critical' : 'high';
  return {
    kind: 'violation',
    severity,
    resource,
    summary: `permission ${label} on function ${ref.name}: ${analysis.status === 'public' ? 'public' : 'granting outside the trust zone'}${confusedDeputy ? ' (confused deputy: left in place to alert on)' : ''}`,
    offenses: [{ id: sid ?? label, severity, reason: `${label} ${analysis.reason}${advice}`, remediable }],
    remediation: remediable
      ? [
          {
            service: 'lambda',
            operation: 'RemovePermission',
            target: { account: change.account, region: change.region },
            input: {
              FunctionName: ref.functionName,
              StatementId: sid,
              ...(ref.qualifier ? { Qualifier: ref.qualifier } : {}),
            },
            statement: statementRef(statement),
            zone,
          },
        ]
      : [],
    ...(confusedDeputy
      ? { notReverted: `${label}: a grant to ${services.join(', ')} without a source pin` }
      : {}),
  };
}

function judgeUrl(change: Change, ref: FunctionRef, config: Config): Verdict {
  const resource = functionResource(ref, change.account, change.region);
  const authType = toStr(change.request.authType) ?? toStr(change.response.authType);
  if (!authType) {
    return {
      kind: 'not-applicable',
      summary: `the record does not say the auth type of ${ref.name}'s URL (unchanged by this call)`,
    };
  }
  if (authType !== 'NONE') {
    return { kind: 'compliant', resource, summary: `the URL of ${ref.name} requires IAM auth (${authType})` };
  }
  if (config.rules['lambda-public'].publicUrlAllowed.includes(ref.name)) {
    return {
      kind: 'compliant',
      resource,
      summary: `the URL of ${ref.name} is public, and ${ref.name} is in publicUrlAllowed`,
    };
  }
  const url = toStr(change.response.functionUrl);
  return {
    kind: 'violation',
    severity: 'high',
    resource,
    summary: `function URL of ${ref.name} set to AuthType NONE: anyone on the internet who knows ${url ?? 'the URL'} can invoke it where the function policy lets "*" in`,
    offenses: [
      {
        id: 'AuthType',
        severity: 'high',
        reason: `the URL of ${ref.name}${ref.qualifier ? ` (qualifier ${ref.qualifier})` : ''} skips IAM authentication (AuthType NONE)`,
        remediable: true,
      },
    ],
    remediation: [
      {
        service: 'lambda',
        operation: 'UpdateFunctionUrlConfig',
        target: { account: change.account, region: change.region },
        input: {
          FunctionName: ref.functionName,
          ...(ref.qualifier ? { Qualifier: ref.qualifier } : {}),
          AuthType: 'AWS_IAM',
        },
      },
    ],
  };
}

export const lambdaPublic: Guardrail = {
  id: LAMBDA_PUBLIC_RULE,
  title: 'Lambda function invocable by anyone or from outside the trust zone',
  severity: 'high',
  defaultMode: 'revert',
  triggers: [
    {
      eventSource: 'lambda.amazonaws.com',
      eventNames: [],
      eventNamePrefixes: [ADD_PERMISSION, ...URL_CALLS],
    },
  ],
  evaluate(change: Change, { config, trustZone }): Verdict {
    const ref = functionRef(change.request.functionName, change.request.qualifier, change.account);
    if (!ref) {
      return {
        kind: 'not-applicable',
        summary: `the record names no function of account ${change.account} (functionName)`,
      };
    }
    if (change.eventName.startsWith(ADD_PERMISSION)) return judgePermission(change, ref, config, trustZone);
    return judgeUrl(change, ref, config);
  },
};

/** What RULES.md says of `lambdaPublic` (`npm run rules:docs`; the functions do not ship it). */
export const lambdaPublicDocs: GuardrailDocs = {
  rationale:
    'A function policy is a resource policy: a grant to "*" or to another account lets callers outside the organization run your code with its role, and a function URL with AuthType NONE skips IAM altogether. Security Hub (Lambda.1) and AWS\'s own remediation treat public functions as a basic control; Stratus Red Team\'s lambda-backdoor-function is this exact persistence technique.',
  violation:
    'AddPermission (recorded as `AddPermission20150331`, `AddPermission20150331v2`) adding a statement that is public — `"*"` with no condition S3 would accept as restricting (critical) — or that grants an account outside the trust zone, or `"*"`, with no `AWS:SourceAccount` / `AWS:SourceArn` / `aws:PrincipalOrgID` pinning it to the zone (high); the statement Lambda returns (`responseElements.statement`) is judged as stored. A grant to an AWS service principal without a source pin (e.g. API Gateway with a SourceArn of any account) is a confused deputy: alerted with the pin to add, never removed. CreateFunctionUrlConfig / UpdateFunctionUrlConfig (`…20211031`) setting AuthType NONE (high). `publicUrlAllowed` lists functions whose URL may be public (AuthType NONE and a `"*"` grant of lambda:InvokeFunctionUrl only).',
  revert:
    "RemovePermission of exactly that statement id, after GetPolicy shows the same statement still there and still offending; GetPolicy again to verify it is gone. A function URL: UpdateFunctionUrlConfig with AuthType AWS_IAM after GetFunctionUrlConfig shows NONE, read back to verify. A call with a Qualifier (an alias's own policy or URL, e.g. `my-function:live`) is judged and reverted on that alias, never the unqualified function. The sweep reads every function's policy and URL, through ListAliases every alias's own policy and URL, and through ListVersionsByFunction every published version's own policy.",
};
