/**
 * Credentials of the notification and ticket channels, set per stage with
 * `npx sst secret set <Name> <value> --stage <stage>` (DEPLOY.md). An unset secret is empty and
 * its channel stays off, so an organization that only uses SNS deploys without any of them.
 */
export const SECRET_NAMES = ['SlackWebhookUrl', 'JiraToken', 'GitHubToken', 'WebhookSecret'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

export function createSecrets(): Record<SecretName, sst.Secret> {
  return Object.fromEntries(SECRET_NAMES.map((name) => [name, new sst.Secret(name, '')])) as Record<
    SecretName,
    sst.Secret
  >;
}
