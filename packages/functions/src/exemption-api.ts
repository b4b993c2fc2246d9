import { Logger } from '@aws-lambda-powertools/logger';
import {
  type ApiAnswer,
  type ApiCall,
  type ApiOperation,
  apiOperation,
  CONFIG_REJECTED_MESSAGE,
  errorMessage,
  exemptionApiLoader,
} from '@driftguard/aws';
import type { Context, LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult } from 'aws-lambda';
import { FunctionMetrics, SERVICES } from './metrics';
import { REQUIRED_SETTINGS, requireSettings } from './required-settings';

// Without its table an approval could not be recorded; without the topic nobody hears of it.
requireSettings(SERVICES.exemptionApi, REQUIRED_SETTINGS.exemptionApi);

const logger = new Logger({ serviceName: SERVICES.exemptionApi });
const metrics = new FunctionMetrics(SERVICES.exemptionApi);
const loadApi = exemptionApiLoader(process.env, {
  onConfigRejected: (reason) => logger.error(CONFIG_REJECTED_MESSAGE, { reason }),
});

const reply = (status: number, body: unknown): LambdaFunctionURLResult => ({
  statusCode: status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * The break-glass API (packages/aws/src/exemption-api.ts) behind an AWS_IAM function URL. Who
 * calls is what Lambda's IAM authorizer verified (`requestContext.authorizer.iam`), never a field
 * of the body. Each call is one log line with its correlation keys (caller ARN, request and
 * exemption ids, account, rule; never a header, signature or access key) and its metrics
 * (operation, outcome, refusal class, and what looks like an attack). An unexpected failure is
 * logged and answered 500 without its detail.
 */
export async function handler(
  event: LambdaFunctionURLEventWithIAMAuthorizer,
  context?: Context,
): Promise<LambdaFunctionURLResult> {
  const iam = event.requestContext.authorizer?.iam;
  const method = event.requestContext.http.method;
  const { operation } = apiOperation(method, event.rawPath);
  const log = logger.createChild();
  if (context) log.addContext(context);
  log.appendKeys({ operation, ...(iam?.userArn ? { caller: iam.userArn } : {}) });
  const call = apiCall(event);
  let answer: ApiAnswer;
  try {
    answer = call ? await (await loadApi())(call) : notJson(operation, iam?.userArn);
  } catch (error) {
    metrics.exemptionCall(undefined, operation);
    log.error('exemption api failed', { method, path: event.rawPath, error: errorMessage(error) });
    return reply(500, { error: 'internal error (see the function logs)' });
  }
  const { trace } = answer;
  metrics.exemptionCall(trace, operation);
  const { requestId, exemptionId, account, rule, refusal, claimedIdentities } = trace;
  log.appendKeys({ requestId, exemptionId, account, rule });
  const line = { method, path: event.rawPath, status: answer.status, refusal, claimedIdentities };
  if (refusal || claimedIdentities) log.warn('exemption api refused or suspicious', line);
  else log.info('exemption api', line);
  return reply(answer.status, answer.body);
}

/** The call as the API takes it; undefined when the body is not JSON. */
function apiCall(event: LambdaFunctionURLEventWithIAMAuthorizer): ApiCall | undefined {
  const text = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body;
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
  const iam = event.requestContext.authorizer?.iam;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    body,
    ...(iam?.userArn ? { caller: { userArn: iam.userArn, accountId: iam.accountId } } : {}),
  };
}

const notJson = (operation: ApiOperation, caller: string | undefined): ApiAnswer => ({
  status: 400,
  body: { error: 'the body is not JSON' },
  trace: { operation, refusal: 'invalid-input', ...(caller ? { caller } : {}) },
});
