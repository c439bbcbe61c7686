/**
 * bench/report.ts: the "Current figures" tables of bench/README.md generated from
 * bench/results/*.json, its `--check` mode, and the committed README against the committed results
 * (a result file changed without `npm run bench:report` fails here).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  BEGIN,
  END,
  expectedReadme,
  main,
  renderReport,
  spliceReadme,
  type ResultFiles,
} from '../bench/report.ts';
import { REPO_ROOT } from '../src-main/test-support.ts';

/** A models.json as `npm run bench:models` writes it, with a run record. */
const MODELS = {
  date: '2026-12-04T18:00:00.000Z',
  rounds: 5,
  results: {
    segmentation: { unit: '10-s window', units: 20, wallMs: 31.25, cpuMs: 30.5 },
    'Silero VAD': { unit: '32-ms frame', units: 2000, wallMs: 0.151, cpuMs: 0.16 },
  },
  run: {
    date: '2026-12-04T18:00:00.000Z',
    machine: { cpuModel: 'Test CPU 9000', cores: 2, ramGiB: 7.8, node: 'v20.20.2', platform: 'linux-x64' },
    loadAverage: { start: 3.5, end: 4.25 },
    commit: 'abc1234',
  },
};

/** A store.json written before run records existed. */
const STORE = {
  identification: {
    voiceprints: 10000,
    cosine: { scoring: 'cosine', indexLoadMs: 189.07, queryMsMedian: 1.882, queryMsMax: 4.7 },
  },
  history: { calls: 1000, turns: 100000, firstPageMs: 0.384, lastPageMs: 0.399, searchPageMs: 1.63 },
};

const README = `# Bench\n\nintro\n\n${BEGIN}\n\nold table\n\n${END}\n\n## Notes\n\nhand-written\n`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp folder with `results/` holding the given files and a README with markers. */
function workspace(files: Record<string, unknown>): { results: string; readme: string } {
  const dir = mkdtempSync(join(tmpdir(), 'callscope-bench-report-'));
  dirs.push(dir);
  const results = join(dir, 'results');
  mkdirSync(results);
  for (const [name, json] of Object.entries(files)) writeFileSync(join(results, name), JSON.stringify(json));
  const readme = join(dir, 'README.md');
  writeFileSync(readme, README);
  return { results, readme };
}

/** The real CLI in a child process (exit code and stderr as a shell sees them). */
const spawnReport = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'report.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });

/** `main()` in this process: exit code and what it wrote to stderr. */
async function runReport(...args: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { status: await main(args), stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

describe('renderReport', () => {
  const results: ResultFiles = new Map<string, unknown>([
    ['models.json', MODELS],
    ['store.json', STORE],
  ]);
  const md = renderReport(results);

  it('turns each result file into table rows', () => {
    expect(md).toContain('| segmentation | 10-s window | 31.250 | 30.500 |');
    expect(md).toContain('| Silero VAD | 32-ms frame | 0.151 | 0.160 |');
    expect(md).toContain(
      '| identify against 10000 voiceprints (cosine) | index load 189 ms; query median 1.88 ms, max 4.70 ms |',
    );
    expect(md).toContain(
      '| history, 1000 calls / 100000 turns | first page 0.38 ms, last page 0.40 ms, search page 1.63 ms |',
    );
  });

  it('names the source file with its machine and load, or says the machine was not recorded', () => {
    expect(md).toContain(
      'Source: `bench/results/models.json`, measured 2026-12-04T18:00:00.000Z on Test CPU 9000, 2 cores, 7.8 GiB RAM, Node v20.20.2, linux-x64; load average 3.50 → 4.25; code `abc1234`.',
    );
    expect(md).toContain('Source: `bench/results/store.json`: machine not recorded');
  });

  it('prints "—" for a missing field instead of throwing', () => {
    const partial = renderReport(new Map([['models.json', { results: { x: { unit: 'frame' } } }]]));
    expect(partial).toContain('| x | frame | — | — |');
  });

  it('refuses a README without exactly one pair of markers', () => {
    expect(() => spliceReadme('# no markers\n', 'x')).toThrow(/exactly one/);
    expect(() => spliceReadme(`${END}\n${BEGIN}\n`, 'x')).toThrow(/exactly one/);
    expect(spliceReadme(README, 'NEW')).toContain(`${BEGIN}\n\nNEW\n\n${END}\n\n## Notes\n\nhand-written\n`);
  });
});

describe('bench/report.ts CLI', () => {
  it('--check fails on a stale table, the write mode fixes it, then --check passes', async () => {
    const ws = workspace({ 'models.json': MODELS, 'store.json': STORE });
    const args = ['--results', ws.results, '--readme', ws.readme];

    const stale = spawnReport('--check', ...args);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/is stale/);
    expect(readFileSync(ws.readme, 'utf8')).toBe(README); // --check writes nothing

    expect((await runReport(...args)).status).toBe(0);
    const written = readFileSync(ws.readme, 'utf8');
    expect(written).toMatch(/\| segmentation +\| 10-s window +\| +31\.250 \| +30\.500 \|/);
    expect(written).toContain('## Notes\n\nhand-written\n'); // outside the markers: kept
    expect((await runReport('--check', ...args)).status).toBe(0);

    // a result file changes, the README does not: stale again, naming the differing line
    const seg = { ...MODELS.results.segmentation, cpuMs: 29.5 };
    writeFileSync(
      join(ws.results, 'models.json'),
      JSON.stringify({ ...MODELS, results: { ...MODELS.results, segmentation: seg } }),
    );
    const again = await runReport('--check', ...args);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/29\.500/);
  });

  it('exits 2 naming the problem for an unknown argument or a missing results folder', async () => {
    const ws = workspace({});
    const bad = await runReport('--frobnicate');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown argument "--frobnicate"/);
    const missing = await runReport('--check', '--results', join(ws.results, 'nope'), '--readme', ws.readme);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/results folder not found/);
  });
});

describe('committed bench/README.md', () => {
  it('has the tables bench/results gives (run `npm run bench:report` after a bench)', async () => {
    const path = join(REPO_ROOT, 'bench', 'README.md');
    const want = await expectedReadme(path, join(REPO_ROOT, 'bench', 'results'));
    const stale = readFileSync(path, 'utf8') !== want;
    expect(stale, 'bench/README.md differs from bench/results: run `npm run bench:report`').toBe(false);
  });
});
