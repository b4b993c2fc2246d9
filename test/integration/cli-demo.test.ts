import { describe, expect, it } from 'vitest';
import { motoEndpoint } from '../support/aws';
import { runBuiltCli } from '../support/cli';

describe('driftguard demo (the prebuilt command, spawned)', () => {
  it.skipIf(!motoEndpoint)(
    'runs every scene against its own moto and ends with each drift reverted and verified',
    async () => {
      const { code, stdout, stderr } = await runBuiltCli(['demo']);
      expect(stderr).not.toMatch(/Error/);
      expect(code).toBe(0);
      expect(stdout).toContain('verdict: violation (critical) — sg-open-ingress');
      expect(stdout).toMatch(/✔ reverted and verified \(sgr-[0-9a-f]+, sgr-[0-9a-f]+\)/);
      expect(stdout).toMatch(/still on sg-[0-9a-f]+: sgr-[0-9a-f]+ tcp\/443 from 10\.0\.0\.0\/8/);
      expect(stdout).toContain(
        'attributes: account=123456789012 action=revert outcome=reverted rule=sg-open-ingress severity=critical',
      );
      expect(stdout).toMatch(/event → verified revert: \d+ ms/);
      expect(stdout).toContain('verdict: violation (high) — vpc-peering');
      expect(stdout).toMatch(/✔ reverted and verified \(pcx-[0-9a-f]+ deleted\)/);
      expect(stdout).toMatch(/pcx-[0-9a-f]+: deleted/);
      expect(stdout).toContain(
        '✔ reverted and verified  VPC peering with an account outside the organization',
      );
      expect(stdout).toContain('verdict: violation (critical) — s3-bucket-policy');
      expect(stdout).toContain('still in the policy: AnalyticsRead');
      expect(stdout).not.toMatch(/still in the policy: PublicRead/);
      expect(stdout).toContain('verdict: violation (high) — vpc-endpoint-policy');
      expect(stdout).toMatch(
        /vpce-[0-9a-f]+: AllowRequestsByZoneIdentitiesToZoneResources — aws:PrincipalAccount=\["123456789012"\]/,
      );
      expect(stdout).toContain(
        '✔ reverted and verified  bucket policy made public: exactly that statement removed',
      );
      expect(stdout).toContain(
        '✔ reverted and verified  VPC endpoint with full access: data-perimeter policy put on',
      );
      expect(stdout).toContain('verdict: violation (critical) — public-snapshot');
      expect(stdout).toMatch(/snap-[0-9a-f]+ shared with: all, 999988887777/);
      expect(stdout).toMatch(/snap-[0-9a-f]+ shared with: nobody \(private again\)/);
      expect(stdout).toContain(
        '✔ reverted and verified  EBS snapshot made public and shared outside: exactly those shares removed',
      );
      expect(stdout).not.toContain('✘');
    },
    120_000,
  );

  it('without moto, says how to install it and replays the bundled samples instead', async () => {
    const { code, stdout } = await runBuiltCli(['demo'], {
      env: { DRIFTGUARD_PYTHON: '/nonexistent/python3' },
    });
    expect(code).toBe(0);
    expect(stdout).toContain('pip install "moto[server]"');
    expect(stdout).toContain('event(s):');
  });
});
