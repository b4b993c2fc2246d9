import { readFileSync } from 'node:fs';
import { CATALOG } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { rulesMarkdown } from '../../packages/cli/src/rules-doc';

describe('RULES.md', () => {
  it('is generated from the catalog and up to date (run `npm run rules:docs` after changing a guardrail)', () => {
    const committed = readFileSync(new URL('../../RULES.md', import.meta.url), 'utf8');
    expect(committed).toBe(rulesMarkdown());
  });

  it('documents every guardrail of the catalog', () => {
    for (const guardrail of CATALOG) expect(rulesMarkdown()).toContain(`## \`${guardrail.id}\``);
  });
});
