import { DescribeSecurityGroupRulesCommand, type EC2Client, type IpPermission } from '@aws-sdk/client-ec2';
import { checkExpiredExemptions } from '@driftguard/aws';
import { type Config, renderSns } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeIngressEvent,
  authorizeIngressForReal,
  ENGINEER,
  type SimulatedActor,
} from '../../packages/cli/src/simulate/cloudtrail';
import { ec2Client, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { clock, enforcedPipeline, recordingNotifier } from '../support/enforcement';
import { ALICE_ARN, approvedExemption, BOB_ARN } from '../support/exemptions';
import { webGroupWithTrustedRule } from '../support/network';
import { configWith } from '../support/notify';

const REGION = 'us-east-1';
const MIN = 60_000;
const SSH_OPEN: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];
const RDP_OPEN: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];
const BOB: SimulatedActor = { ...ENGINEER, sessionName: 'bob@example.com' };

async function ingress(ec2: EC2Client, groupId: string): Promise<string[]> {
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (SecurityGroupRules ?? [])
    .filter((rule) => !rule.IsEgress)
    .map((rule) => `${rule.FromPort}/${rule.CidrIpv4}`)
    .sort();
}

async function open(ec2: EC2Client, groupId: string, permissions: IpPermission[], actor = ENGINEER) {
  const addedRules = await authorizeIngressForReal(ec2, groupId, permissions);
  return authorizeIngressEvent({
    account: HOME_ACCOUNT,
    region: REGION,
    groupId,
    permissions,
    addedRules,
    actor,
  });
}

describe.skipIf(!motoEndpoint)('break-glass exemptions against moto', () => {
  let ec2: EC2Client;
  let config: Config;
  beforeAll(() => {
    ec2 = ec2Client(REGION);
    config = configWith({ exemptions: { enabled: true, maxDuration: '8h' } });
  });

  async function grant(
    store: Awaited<ReturnType<typeof enforcedPipeline>>['exemptions'],
    groupId: string,
    now: number,
  ) {
    const exemption = approvedExemption(
      {
        account: HOME_ACCOUNT,
        resource: groupId,
        rule: 'sg-open-ingress',
        duration: '2h',
        reason: 'vendor support session over SSH',
        ticket: 'CHG-4711',
      },
      config,
      { id: unique('ex'), now },
    );
    await store.grant(exemption);
    return exemption;
  }

  it('grant → the violation is alerted as exempted, not reverted → at expiry the re-check reverts what is still open', async () => {
    const time = clock();
    const alerts = recordingNotifier();
    const { pipeline, exemptions, announcements, announce, clients } = await enforcedPipeline({
      config,
      clock: time,
      notifiers: [alerts],
    });
    const groupId = await webGroupWithTrustedRule(ec2);
    const exemption = await grant(exemptions, groupId, time.now());

    // alice (the requester) opens SSH to the world within the window.
    time.advance(10 * MIN);
    const event = await open(ec2, groupId, SSH_OPEN);
    const exempted = await pipeline.process(event);

    expect(exempted.assessment.action).toBe('alert');
    expect(exempted.assessment.exemption?.id).toBe(exemption.id);
    expect(exempted.outcome.status).toBe('exempted');
    expect(exempted.outcome.summary).toBe(
      `exempted until ${exemption.expiresAt} by ${BOB_ARN} (exemption ${exemption.id}, requested by ${ALICE_ARN}, ticket CHG-4711), reason: vendor support session over SSH; alerted, not reverted`,
    );
    expect(await ingress(ec2, groupId)).toEqual(['22/0.0.0.0/0', '443/10.0.0.0/8']);
    // The alert went out and says so (SNS rendering of what the channel received).
    expect(alerts.reports).toHaveLength(1);
    const sns = renderSns(alerts.reports[0] as (typeof alerts.reports)[number]);
    expect(sns.subject).toBe(`[driftguard] CRITICAL sg-open-ingress in ${HOME_ACCOUNT}: exempted`);
    expect(JSON.parse(sns.message).summary).toContain('exempted until');
    // The use is announced once, however often the event is delivered.
    await pipeline.process(event);
    expect(announcements.map((a) => a.kind)).toEqual(['exemption-used']);
    expect((await exemptions.get(HOME_ACCOUNT, exemption.id))?.uses).toBe(1);

    // The approver's own change is never covered (two-person rule): reverted at once.
    const byApprover = await pipeline.process(await open(ec2, groupId, RDP_OPEN, BOB));
    expect(byApprover.assessment.action).toBe('revert');
    expect(byApprover.assessment.decisionReason).not.toContain('exempted');
    expect(byApprover.assessment.results[0]?.decision.trace).toContain(
      `exemption ${exemption.id} does not apply: the change was made by its approver ${BOB_ARN} (two-person rule)`,
    );
    expect(byApprover.outcome.status).toBe('reverted');

    // Before expiry the check has nothing to do.
    expect(await checkExpiredExemptions({ exemptions, pipeline, clients, announce, now: time.now })).toEqual(
      [],
    );
    expect(await ingress(ec2, groupId)).toEqual(['22/0.0.0.0/0', '443/10.0.0.0/8']);

    // Two hours later the window has closed: the re-check reverts the still-open rule.
    time.advance(2 * 60 * MIN);
    const checks = await checkExpiredExemptions({ exemptions, pipeline, clients, announce, now: time.now });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ complete: true, exemption: { id: exemption.id } });
    expect(checks[0]?.rechecked).toEqual([
      expect.objectContaining({
        eventId: exempted.assessment.event.eventId,
        rule: 'sg-open-ingress',
        outcome: 'reverted',
      }),
    ]);
    expect(await ingress(ec2, groupId)).toEqual(['443/10.0.0.0/8']);
    const ended = announcements.at(-1);
    expect(ended?.kind).toBe('exemption-expired');
    // The re-check is its own decision on live state (never the stored event), audited and alerted as a revert.
    const last = alerts.reports.at(-1);
    expect(last?.outcome.status).toBe('reverted');
    expect(last?.assessment.event.eventId).toBe(
      `driftguard-sweep:recheck-${exemption.id}:${HOME_ACCOUNT}:${REGION}:AuthorizeSecurityGroupIngress:${groupId}`,
    );
    expect(last?.assessment.origin).toBe('sweep');
    expect(last?.assessment.decisionReason).toContain('rules.sg-open-ingress.mode = revert');

    // Done once: the exemption is no longer due, and its record says what the re-check did.
    expect(await checkExpiredExemptions({ exemptions, pipeline, clients, announce, now: time.now })).toEqual(
      [],
    );
    const record = await exemptions.get(HOME_ACCOUNT, exemption.id);
    expect(record?.checkedAt).toBe(new Date(time.now()).toISOString());
    expect(record?.recheck?.[0]?.outcome).toBe('reverted');
  });

  it('a rule closed by hand during the window is left alone at expiry (live state is compliant)', async () => {
    const time = clock();
    const { pipeline, exemptions, announce, clients } = await enforcedPipeline({ config, clock: time });
    const groupId = await webGroupWithTrustedRule(ec2);
    await grant(exemptions, groupId, time.now());
    time.advance(MIN);
    const event = await open(ec2, groupId, SSH_OPEN);
    expect((await pipeline.process(event)).outcome.status).toBe('exempted');
    const { RevokeSecurityGroupIngressCommand } = await import('@aws-sdk/client-ec2');
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: SSH_OPEN }));

    time.advance(3 * 60 * MIN);
    const [check] = await checkExpiredExemptions({ exemptions, pipeline, clients, announce, now: time.now });
    // Live state is read again: the group's remaining rule is compliant, nothing to revert.
    expect(check?.rechecked.map((r) => r.outcome)).toEqual(['compliant']);
    expect(await ingress(ec2, groupId)).toEqual(['443/10.0.0.0/8']);
  });

  it('revoking ends the window now: the next check reverts, and later violations are reverted at once', async () => {
    const time = clock();
    const { pipeline, exemptions, announce, announcements, clients } = await enforcedPipeline({
      config,
      clock: time,
    });
    const groupId = await webGroupWithTrustedRule(ec2);
    const exemption = await grant(exemptions, groupId, time.now());
    time.advance(MIN);
    expect((await pipeline.process(await open(ec2, groupId, SSH_OPEN))).outcome.status).toBe('exempted');

    time.advance(MIN);
    const revoked = await exemptions.revoke(
      exemption.id,
      'carol@example.com',
      new Date(time.now()).toISOString(),
    );
    expect(revoked.exemption.revokedBy).toBe('carol@example.com');
    await expect(
      exemptions.revoke(exemption.id, 'carol@example.com', new Date().toISOString()),
    ).rejects.toThrow('already revoked');

    const [check] = await checkExpiredExemptions({ exemptions, pipeline, clients, announce, now: time.now });
    expect(check?.rechecked.map((r) => r.outcome)).toEqual(['reverted']);
    expect(await ingress(ec2, groupId)).toEqual(['443/10.0.0.0/8']);
    expect(announcements.at(-1)).toMatchObject({
      kind: 'exemption-expired',
      exemption: { revokedBy: 'carol@example.com' },
    });

    const after = await pipeline.process(await open(ec2, groupId, RDP_OPEN));
    expect(after.outcome.status).toBe('reverted');
    expect(after.assessment.results[0]?.decision.trace?.join('\n')).toContain(
      `exemption ${exemption.id} does not apply: revoked at`,
    );
  });

  it('lists active exemptions, and only those, unless asked for ended ones', async () => {
    const time = clock();
    const { exemptions } = await enforcedPipeline({ config, clock: time });
    const groupId = await webGroupWithTrustedRule(ec2);
    const first = await grant(exemptions, groupId, time.now() - 3 * 60 * MIN);
    const second = await grant(exemptions, groupId, time.now());
    const active = await exemptions.list({ now: time.now(), account: HOME_ACCOUNT });
    expect(active.map((record) => record.exemption.id)).toContain(second.id);
    expect(active.map((record) => record.exemption.id)).not.toContain(first.id);
    const all = await exemptions.list({ now: time.now(), account: HOME_ACCOUNT, ended: true });
    expect(all.map((record) => record.exemption.id)).toEqual(expect.arrayContaining([first.id, second.id]));
  });
});
