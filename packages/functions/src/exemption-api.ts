import { Logger } from '@aws-lambda-powertools/logger';
import { type ApiCall, CONFIG_REJECTED_MESSAGE, errorMessage, exemptionApiLoader } from '@driftguard/aws';
import type { LambdaFunctionURLEventWithIAMAuthorizer, LambdaFunctionURLResult } from 'aws-lambda';
import { REQUIRED_SETTINGS, requireSettings } from './required-settings';

// Without its table an approval could not be recorded; without the topic nobody hears of it.
requireSettings('driftguard-exemption-api', REQUIRED_SETTINGS.exemptionApi);

const logger = new Logger({ serviceName: 'driftguard-exemption-api' });
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
 * of the body. An unexpected failure is logged and answered 500 without its detail.
 */
export async function handler(
  event: LambdaFunctionURLEventWithIAMAuthorizer,
): Promise<LambdaFunctionURLResult> {
  let body: unknown;
  try {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : event.body;
    body = text ? JSON.parse(text) : undefined;
  } catch {
    return reply(400, { error: 'the body is not JSON' });
  }
  const iam = event.requestContext.authorizer?.iam;
  const call: ApiCall = {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    body,
    ...(iam?.userArn ? { caller: { userArn: iam.userArn, accountId: iam.accountId } } : {}),
  };
  try {
    const answer = await (await loadApi())(call);
    logger.info('exemption api', {
      method: call.method,
      path: call.path,
      caller: iam?.userArn,
      status: answer.status,
    });
    return reply(answer.status, answer.body);
  } catch (error) {
    logger.error('exemption api failed', {
      method: call.method,
      path: call.path,
      error: errorMessage(error),
    });
    return reply(500, { error: 'internal error (see the function logs)' });
  }
}
