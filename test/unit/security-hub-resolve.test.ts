import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { securityHubFindingId, securityHubNotifier } from '@driftguard/aws';
import { outcomeWithoutExecution } from '@driftguard/core';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent, sampleReport } from '../support/notify';

// moto 5.2.1 has no BatchUpdateFindings: resolving a finding that already exists (Security Hub
// ignores Workflow and Note on the import of an existing finding) is checked against a mocked client.
const hub = mockClient(SecurityHubClient);
const TARGET = { partition: 'aws' as const, region: 'eu-west-1', account: '999900001111' };
const PRODUCT_ARN = 'arn:aws:securityhub:eu-west-1:999900001111:product/999900001111/default';
const RESOURCE = 'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0';
const ID = securityHubFindingId('sg-open-ingress', RESOURCE);

const notifier = () =>
  securityHubNotifier({
    client: new SecurityHubClient({ region: 'eu-west-1' }),
    target: async () => TARGET,
    now: () => Date.parse('2026-12-04T12:00:00Z'),
  });

describe('Security Hub channel: resolving a finding that already exists', () => {
  beforeEach(() => {
    hub.reset();
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0, FailedFindings: [] });
    hub
      .on(BatchUpdateFindingsCommand)
      .resolves({ ProcessedFindings: [{ Id: ID, ProductArn: PRODUCT_ARN }], UnprocessedFindings: [] });
  });

  it('imports the revert, then sets the open finding RESOLVED with the note through BatchUpdateFindings', async () => {
    hub
      .on(GetFindingsCommand)
      .resolves({ Findings: [{ Id: ID, ProductArn: PRODUCT_ARN, Workflow: { Status: 'NEW' } } as never] });
    const result = await notifier().notify(sampleReport(sampleEvent()));
    expect(result).toEqual({ ok: true, detail: `finding ${ID} RESOLVED` });
    expect(hub.commandCalls(GetFindingsCommand)[0]?.args[0].input.Filters).toEqual({
      Id: [{ Value: ID, Comparison: 'EQUALS' }],
      ProductArn: [{ Value: PRODUCT_ARN, Comparison: 'EQUALS' }],
    });
    expect(hub.commandCalls(BatchUpdateFindingsCommand).map((call) => call.args[0].input)).toEqual([
      {
        FindingIdentifiers: [{ Id: ID, ProductArn: PRODUCT_ARN }],
        Workflow: { Status: 'RESOLVED' },
        Note: {
          Text: 'driftguard reverted and verified (sgr-0a1b2c3d4e5f60718) after event d3acf956-9a95-5900-a8d7-e58180d35299 (AuthorizeSecurityGroupIngress by arn:aws:sts::111122223333:assumed-role/Admin/jdoe).',
          UpdatedBy: 'driftguard',
        },
      },
    ]);
  });

  it('needs no update when the finding is new or already resolved', async () => {
    hub.on(GetFindingsCommand).resolves({
      Findings: [{ Id: ID, ProductArn: PRODUCT_ARN, Workflow: { Status: 'RESOLVED' } } as never],
    });
    expect(await notifier().notify(sampleReport(sampleEvent()))).toEqual({
      ok: true,
      detail: `finding ${ID} RESOLVED`,
    });
    hub.on(GetFindingsCommand).resolves({ Findings: [] });
    expect(await notifier().notify(sampleReport(sampleEvent()))).toEqual({
      ok: true,
      detail: `finding ${ID} RESOLVED`,
    });
    expect(hub.commandCalls(BatchUpdateFindingsCommand)).toEqual([]);
  });

  it('reads nothing before importing a decision that does not resolve, and reports a refused import as failed', async () => {
    const report = sampleReport(sampleEvent());
    const alerted = {
      ...report,
      outcome: {
        ...outcomeWithoutExecution(report.assessment),
        status: 'alerted' as const,
        verified: false,
        summary: 'alerted',
      },
    };
    hub.on(BatchImportFindingsCommand).resolves({
      SuccessCount: 0,
      FailedCount: 1,
      FailedFindings: [{ Id: ID, ErrorCode: 'InvalidInput', ErrorMessage: 'Finding size exceeded' }],
    });
    expect(await notifier().notify(alerted)).toEqual({
      ok: false,
      detail: `Security Hub refused finding ${ID}: InvalidInput Finding size exceeded`,
    });
    expect(hub.commandCalls(GetFindingsCommand)).toEqual([]);
    expect(hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input.Findings?.[0]?.Workflow).toEqual({
      Status: 'NEW',
    });
  });
});
