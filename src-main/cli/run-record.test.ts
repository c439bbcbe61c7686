/** The run record every bench result JSON carries (machine, load average, date, commit). */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

import { describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../test-support.ts';
import { startRunRecord } from './run-record.ts';

describe('startRunRecord', () => {
  it('records this machine, the load at start and end, the date and the checked-out commit', () => {
    const before = Date.now();
    const r = startRunRecord(REPO_ROOT).finish();
    expect(r.machine.cores).toBe(cpus().length);
    expect(r.machine.cpuModel.length).toBeGreaterThan(0);
    expect(r.machine.ramGiB).toBeGreaterThan(0);
    expect(r.machine.node).toBe(process.version);
    expect(r.machine.platform).toBe(`${process.platform}-${process.arch}`);
    expect(r.loadAverage.start).toBeGreaterThanOrEqual(0);
    expect(r.loadAverage.end).toBeGreaterThanOrEqual(0);
    expect(Date.parse(r.date)).toBeGreaterThanOrEqual(before - 1000);
    const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (head.status === 0) expect(r.commit).toMatch(new RegExp(`^${head.stdout.trim()}(\\+dirty)?$`));
    else expect(r.commit).toBeNull();
  });

  it('gives null for the commit outside a git checkout', () => {
    expect(startRunRecord('/').finish().commit).toBeNull();
  });
});
