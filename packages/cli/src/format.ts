import type {
  Assessment,
  Operation,
  OperationResult,
  RuleResult,
  SlackBlock,
  SlackMessage,
  UnwatchedCall,
  Verdict,
} from '@driftguard/core';

const useColor = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
export const red = paint(31);
export const green = paint(32);
export const yellow = paint(33);
export const dim = paint(2);
export const bold = paint(1);
export const cyan = paint(36);

/** A verdict in one line: the summary, then each offending part (as the event's reason reads). */
export function verdictReason(verdict: Verdict): string {
  return verdict.kind === 'violation'
    ? [verdict.summary, ...verdict.offenses.map((offense) => offense.reason)].join('; ')
    : verdict.summary;
}

/** One guardrail's answer on an event (an event can be watched by several, e.g. two on a security group). */
export function ruleVerdictJson(result: RuleResult) {
  return {
    rule: result.rule,
    verdict: result.verdict.kind,
    severity: result.verdict.kind === 'violation' ? result.verdict.severity : null,
    reason: verdictReason(result.verdict),
    action: result.decision.action,
  };
}

/**
 * The stable JSON shape of `replay --json`: one object per input event. `rule`, `verdict`,
 * `severity` and `reason` are the deciding guardrail's (the most severe violation); `verdicts`
 * holds every guardrail that judged the event, so an answer such as "needs live confirmation"
 * from a second guardrail is never hidden behind the first one's.
 */
export function replayRecord(assessment: Assessment, results?: OperationResult[]) {
  return {
    eventId: assessment.event.eventId,
    eventName: assessment.event.eventName,
    eventTime: assessment.event.eventTime,
    account: assessment.event.account,
    region: assessment.event.region,
    actor: assessment.event.actor,
    rule: assessment.rule ?? null,
    verdict: assessment.status,
    reason: assessment.reason,
    action: assessment.action,
    decision: assessment.decisionReason,
    severity: assessment.severity ?? null,
    verdicts: assessment.results.map(ruleVerdictJson),
    operations: assessment.operations.map(operationJson),
    ...(assessment.finding ? { finding: assessment.finding } : {}),
    ...(results
      ? { results: results.map(({ operation, ...rest }) => ({ ...operationJson(operation), ...rest })) }
      : {}),
  };
}

/** The assessment `assess` gives a call no guardrail watches (core's assess.ts words it the same). */
export function notApplicable(call: UnwatchedCall): Assessment {
  return {
    event: call,
    status: 'not-applicable',
    reason: `no guardrail watches ${call.eventSource} ${call.eventName}`,
    action: 'none',
    decisionReason: 'nothing to decide',
    operations: [],
    results: [],
  };
}

/**
 * `JSON.stringify(replayRecord(notApplicable(call)))`, written out: nearly every record of an
 * organization trail is such a call, and building the assessment and the record object to
 * stringify them was a tenth of replaying a trail. Each field is still quoted by JSON.stringify,
 * so escaping is the same; test/unit/replay-json-line.test.ts holds the two equal.
 */
export function notApplicableJson(call: UnwatchedCall): string {
  const quote = JSON.stringify;
  return (
    `{"eventId":${quote(call.eventId)},"eventName":${quote(call.eventName)},` +
    `"eventTime":${quote(call.eventTime)},"account":${quote(call.account)},"region":${quote(call.region)},` +
    `"actor":${quote(call.actor)},"rule":null,"verdict":"not-applicable",` +
    `"reason":${quote(`no guardrail watches ${call.eventSource} ${call.eventName}`)},"action":"none",` +
    `"decision":"nothing to decide","severity":null,"verdicts":[],"operations":[]}`
  );
}

export function operationJson(operation: Operation) {
  return { service: operation.service, operation: operation.operation, input: operation.input };
}

export function describeOperation(operation: Operation): string {
  return `${operation.service}:${operation.operation} ${JSON.stringify(operation.input)} in ${operation.target.account}/${operation.target.region}`;
}

const verdictColor = (verdict: string) =>
  verdict === 'violation' ? red(verdict) : verdict === 'compliant' ? green(verdict) : dim(verdict);

function cell(text: string, width: number): string {
  const clipped = text.length > width ? `${text.slice(0, width - 1)}…` : text;
  return clipped.padEnd(width);
}

export const TABLE_HEADER = `${cell('TIME', 20)} ${cell('ACCOUNT', 12)} ${cell('REGION', 14)} ${cell('EVENT', 30)} ${cell('RULE', 18)} ${cell('VERDICT', 14)} ${cell('ACTION', 7)} REASON`;

export function tableRow(assessment: Assessment): string {
  const { event } = assessment;
  return [
    cell(event.eventTime, 20),
    cell(event.account, 12),
    cell(event.region, 14),
    cell(event.eventName, 30),
    cell(assessment.rule ?? '-', 18),
    verdictColor(cell(assessment.status, 14)),
    cell(assessment.action, 7),
    assessment.reason.replace(/\s+/g, ' ').slice(0, 160),
  ].join(' ');
}

/**
 * The other guardrails' answers under an event's row, when more than one judged it: the row shows
 * the deciding one, and a compliant verdict must not hide another's "needs live confirmation".
 */
export function ruleVerdictLines(assessment: Assessment): string[] {
  if (assessment.results.length < 2) return [];
  return assessment.results.map((result) => {
    const severity = result.verdict.kind === 'violation' ? ` (${result.verdict.severity})` : '';
    const reason = verdictReason(result.verdict).replace(/\s+/g, ' ').slice(0, 200);
    return `    ${result.rule}: ${verdictColor(result.verdict.kind)}${severity}, ${result.decision.action}: ${reason}`;
  });
}

/** A terminal preview of the Slack message: what the channel would read. */
export function slackPreview(message: SlackMessage): string {
  const lines: string[] = [];
  const text = (block: SlackBlock): string[] => {
    switch (block.type) {
      case 'header':
        return [bold(block.text.text)];
      case 'section':
        return [
          ...(block.text ? [block.text.text] : []),
          ...(block.fields ?? []).map((field) => field.text.replace('\n', ': ')),
        ];
      case 'context':
        return block.elements.map((element) => dim(element.text));
      case 'divider':
        return ['─'.repeat(40)];
    }
  };
  for (const block of message.blocks) lines.push(...text(block).flatMap((line) => line.split('\n')));
  return lines.map((line) => `  │ ${line}`).join('\n');
}
