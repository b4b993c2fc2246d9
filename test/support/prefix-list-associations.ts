import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeSecurityGroupRulesCommand } from '@aws-sdk/client-ec2';
import { credentialsInAccount, ec2Client, HOME_ACCOUNT } from './aws';
import type { Call } from './faults';

/**
 * EC2's GetManagedPrefixListAssociations, which moto 5.2.1 does not implement (it answers 500).
 * AWS answers it in the list owner's account with every resource that uses the list, in any
 * account it is shared with; this loopback stand-in computes the same answer from moto's state: the
 * security groups, in each of the given accounts, with a rule whose source is the list. Everything
 * else goes to moto through the fault proxy's `route` (see `routePrefixListAssociations`).
 */
export interface PrefixListAssociations {
  endpoint: string;
  /** The lists asked about, in order. */
  asked: string[];
  close(): Promise<void>;
}

async function formOf(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The groups of one account (in moto) with an ingress or egress rule whose source is the list. */
async function groupsUsing(account: string, region: string, prefixListId: string): Promise<string[]> {
  const credentials = account === HOME_ACCOUNT ? undefined : await credentialsInAccount(account);
  const { SecurityGroupRules } = await ec2Client(region, credentials).send(
    new DescribeSecurityGroupRulesCommand({}),
  );
  const groups = (SecurityGroupRules ?? [])
    .filter((rule) => rule.PrefixListId === prefixListId)
    .map((rule) => rule.GroupId as string);
  return [...new Set(groups)];
}

export async function startPrefixListAssociations(options: {
  region: string;
  /** The accounts whose groups may use the lists (the owner and those it shares with). */
  accounts: readonly string[];
}): Promise<PrefixListAssociations> {
  const asked: string[] = [];
  const server = createServer(async (request, response) => {
    const form = await formOf(request);
    const prefixListId = form.get('PrefixListId') ?? '';
    asked.push(prefixListId);
    const items: string[] = [];
    for (const account of options.accounts)
      for (const groupId of await groupsUsing(account, options.region, prefixListId))
        items.push(
          `<item><resourceId>${groupId}</resourceId><resourceOwner>${account}</resourceOwner></item>`,
        );
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(
      `<?xml version="1.0" encoding="UTF-8"?><GetManagedPrefixListAssociationsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomUUID()}</requestId><prefixListAssociationSet>${items.join('')}</prefixListAssociationSet></GetManagedPrefixListAssociationsResponse>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    asked,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The fault proxy's `route`: GetManagedPrefixListAssociations to the stand-in, the rest to moto. */
export function routePrefixListAssociations(
  standIn: PrefixListAssociations,
): (call: Call) => string | undefined {
  return (call) =>
    call.service === 'ec2' && call.action === 'GetManagedPrefixListAssociations'
      ? standIn.endpoint
      : undefined;
}
