/**
 * The test command's stage runner (scripts/run-stages.sh, used by scripts/test.sh) and the loaded
 * test command's argument check (scripts/test-under-load.sh), run as bash runs them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../src-main/test-support.ts';

const bash = (script: string, args: string[]) =>
  spawnSync('bash', [join(REPO_ROOT, 'scripts', script), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

describe('scripts/run-stages.sh', () => {
  it('runs every stage after a failure, prints the table, exits 1, ends with the runner summary', () => {
    const r = bash('run-stages.sh', [
      '--closing',
      'vitest',
      'format',
      'echo formatted',
      'typecheck',
      'echo type error >&2; exit 3',
      'vitest',
      'printf " Test Files  1 failed | 9 passed (10)\\n      Tests  1 failed | 99 passed (100)\\n"; exit 1',
      'e2e',
      'echo e2e ran',
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('type error'); // a stage's stderr is shown
    expect(r.stdout).toContain('e2e ran'); // the last stage ran after two failures
    expect(r.stdout).toMatch(/^format +pass /m);
    expect(r.stdout).toMatch(/^typecheck +FAIL \(exit 3\)/m);
    expect(r.stdout).toMatch(/^vitest +FAIL \(exit 1\)/m);
    expect(r.stdout).toMatch(/^e2e +pass /m);
    const last = r.stdout.trimEnd().split('\n').slice(-2);
    expect(last).toEqual([
      ' Test Files  1 failed | 9 passed (10)',
      '      Tests  1 failed | 99 passed (100)',
    ]);
  });

  it('exits 0 when every stage passes, 2 on a usage error', () => {
    const ok = bash('run-stages.sh', ['a', 'true', 'b', 'true']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('all stages passed');
    expect(bash('run-stages.sh', ['a']).status).toBe(2);
  });

  it('is what scripts/test.sh runs, with the five stages, and .ci/run runs scripts/test.sh', () => {
    const testSh = readFileSync(join(REPO_ROOT, 'scripts/test.sh'), 'utf8');
    expect(testSh).toMatch(/exec bash scripts\/run-stages\.sh --closing vitest/);
    for (const stage of ['format', 'typecheck', 'lint', 'vitest', 'e2e'])
      expect(testSh).toMatch(new RegExp(`^  ${stage} '`, 'm'));
    expect(readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8')).toMatch(/^bash scripts\/test\.sh$/m);
  });
});

describe('scripts/test-under-load.sh', () => {
  it('refuses a run count that is not a positive integer (before starting any burner)', () => {
    const r = bash('test-under-load.sh', ['zero']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/RUNS: a positive integer/);
  });
});
