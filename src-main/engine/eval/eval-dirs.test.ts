import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, it, expect } from 'vitest';

import { evaluateRttmDirs, formatEvalTable } from './eval-dirs.ts';

/** src-main/engine/eval/ → ../../../ is the repo root; one more ../ reaches shared/ beside it. */
const DEV_DIARIZATION = fileURLToPath(new URL('../../../../shared/data/dev/diarization', import.meta.url));

async function withTempDirs(fn: (ref: string, hyp: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'callscope-eval-'));
  try {
    const ref = join(root, 'ref');
    const hyp = join(root, 'hyp');
    await mkdir(ref);
    await mkdir(hyp);
    await fn(ref, hyp);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const line = (file: string, start: number, dur: number, spk: string): string =>
  `SPEAKER ${file} 1 ${start.toFixed(3)} ${dur.toFixed(3)} <NA> <NA> ${spk} <NA> <NA>\n`;

describe('evaluateRttmDirs', () => {
  it('scores the dev diarization references against themselves: DER 0 everywhere', async () => {
    // Must fail (not skip) when the shared data is missing.
    expect(existsSync(DEV_DIARIZATION), `missing ${DEV_DIARIZATION}`).toBe(true);
    const report = await evaluateRttmDirs(DEV_DIARIZATION, DEV_DIARIZATION);
    expect(report.files.length).toBeGreaterThan(0);
    expect(report.collars).toEqual([0, 0.25]);
    for (const f of report.files) {
      expect(f.missingHyp).toBe(false);
      expect(f.hypSpeakers).toBe(f.refSpeakers);
      expect(f.der['0'].der, f.fileId).toBe(0);
      expect(f.der['0.25'].der, f.fileId).toBe(0);
      expect(f.jer, f.fileId).toBeCloseTo(0, 12);
      expect(f.vad.f1, f.fileId).toBe(1);
    }
    expect(report.total.der['0'].der).toBe(0);
    expect(report.total.der['0'].total).toBeGreaterThan(0);
    expect(report.total.der['0.25'].der).toBe(0);
    expect(report.total.jer).toBeCloseTo(0, 12);
    expect(report.total.vad.f1).toBe(1);
    const table = formatEvalTable(report);
    expect(table.split('\n')).toHaveLength(report.files.length + 4); // header, rule, rows, TOTAL, ''
    expect(table).toMatch(
      /\| \*\*TOTAL\*\* \|.*\| 0\.0% \| 0\.0% \| 0\.0% \| 0\.0% \| 0\.0% \| 0\.0% \| 100\.0% \|/,
    );
  });

  it('matches hypotheses by file id across files, flags missing ones, pools totals', async () => {
    await withTempDirs(async (refDir, hypDir) => {
      // Reference: rec1 A 0–10, B 10–20 (20 s); rec2 A 0–10 (10 s); rec3 C 0–5 (5 s).
      await writeFile(join(refDir, 'rec1.rttm'), line('rec1', 0, 10, 'A') + line('rec1', 10, 10, 'B'));
      await writeFile(join(refDir, 'rec2.rttm'), ';; comment\n' + line('rec2', 0, 10, 'A'));
      await writeFile(join(refDir, 'rec3.rttm'), line('rec3', 0, 5, 'C'));
      await writeFile(join(refDir, 'notes.txt'), 'not an rttm');
      // Hypotheses: rec1 and rec2 both in one file; no hypothesis for rec3.
      // rec1: X 0–15, Y 15–20 → confusion 5 (see der.test.ts) → DER 25 %.
      // rec2: X 0–8 → missed 2 of 10 → DER 20 %.
      await writeFile(
        join(hypDir, 'all.rttm'),
        line('rec1', 0, 15, 'X') +
          line('rec1', 15, 5, 'Y') +
          line('rec2', 0, 8, 'X') +
          line('other', 0, 3, 'Q'),
      );
      const report = await evaluateRttmDirs(refDir, hypDir, { collars: [0] });
      expect(report.files.map((f) => f.fileId)).toEqual(['rec1', 'rec2', 'rec3']);
      const [rec1, rec2, rec3] = report.files;
      expect(rec1).toMatchObject({ refSpeakers: 2, hypSpeakers: 2, missingHyp: false });
      expect(rec1.der['0'].der).toBeCloseTo(0.25, 12);
      expect(rec1.jer).toBeCloseTo(5 / 12, 12);
      expect(rec2.der['0'].missed).toBeCloseTo(2, 12);
      // rec3 has no hypothesis: all 5 s missed, flagged.
      expect(rec3).toMatchObject({ refSpeakers: 1, hypSpeakers: 0, missingHyp: true });
      expect(rec3.der['0'].missed).toBeCloseTo(5, 12);
      expect(rec3.jer).toBe(1);
      // Totals: errors 5 + 2 + 5 = 12 over 20 + 10 + 5 = 35 s → DER 12/35 (not the mean of ratios).
      const t = report.total.der['0'];
      expect(t.total).toBeCloseTo(35, 12);
      expect(t.confusion).toBeCloseTo(5, 12);
      expect(t.missed).toBeCloseTo(7, 12);
      expect(t.der).toBeCloseTo(12 / 35, 12);
      // JER mean over files: (5/12 + 0.2 + 1) / 3.
      expect(report.total.jer).toBeCloseTo((5 / 12 + 0.2 + 1) / 3, 12);
      // VAD pooled: tp 20 + 8 + 0 = 28, fp 0, fn 0 + 2 + 5 = 7 → R = 28/35 = 0.8, P = 1.
      expect(report.total.vad.recall).toBeCloseTo(0.8, 12);
      expect(report.total.vad.precision).toBe(1);

      const table = formatEvalTable(report);
      const rows = table.trim().split('\n');
      expect(rows[0]).toBe(
        '| file | ref spk | hyp spk | DER (no collar) | miss | FA | conf | JER | VAD F1 |',
      );
      expect(rows[2]).toBe('| rec1 | 2 | 2 | 25.0% | 0.0% | 0.0% | 25.0% | 41.7% | 100.0% |');
      expect(rows[4]).toContain('rec3 (no hyp)');
      expect(rows[5]).toMatch(/^\| \*\*TOTAL\*\* \| 4 \| 3 \| 34\.3% \| 20\.0% \| 0\.0% \| 14\.3% \|/);
    });
  });

  it('an empty hypothesis file X.rttm means "no speech found", not a missing hypothesis', async () => {
    await withTempDirs(async (refDir, hypDir) => {
      await writeFile(join(refDir, 'x.rttm'), line('x', 1, 2, 'A'));
      await writeFile(join(hypDir, 'x.rttm'), '');
      const report = await evaluateRttmDirs(refDir, hypDir);
      expect(report.files[0].missingHyp).toBe(false);
      expect(report.files[0].der['0'].der).toBe(1);
      expect(Object.keys(report.files[0].der)).toEqual(['0', '0.25']);
      const header = formatEvalTable(report).split('\n')[0];
      expect(header).toBe(
        '| file | ref spk | hyp spk | DER (no collar) | miss | FA | conf | DER (0.25 s collar) | JER | VAD F1 |',
      );
    });
  });

  it('fails on a missing or empty reference directory and names the file of a malformed RTTM', async () => {
    await withTempDirs(async (refDir, hypDir) => {
      await expect(evaluateRttmDirs(refDir, hypDir)).rejects.toThrow(/no \.rttm files/);
      await expect(evaluateRttmDirs(join(refDir, 'nope'), hypDir)).rejects.toThrow(/ENOENT/);
      await writeFile(join(refDir, 'bad.rttm'), line('bad', 0, 1, 'A') + 'SPEAKER bad 1 x 1 <NA> <NA> A\n');
      await expect(evaluateRttmDirs(refDir, hypDir)).rejects.toThrow(/bad\.rttm: RTTM line 2/);
    });
  });
});
