import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import type { AnalysisResult } from '../../src-shared/contracts/analysis.ts';
import { parseRttm } from '../../src-shared/formats/rttm.ts';
import {
  type BadInputs,
  type TmpDir,
  createTmpDir,
  devFile,
  makeBadInputs,
  useSharedModels,
} from '../test-support.ts';
import { outputBaseName, runAnalyze } from './analyze.ts';
import { main } from './main.ts';

let tmp: TmpDir;
let bad: BadInputs;
let good: string;

beforeAll(async () => {
  useSharedModels();
  good = devFile('diarization/falcon_test.wav');
  tmp = await createTmpDir('cli-analyze');
  bad = await makeBadInputs(tmp.path, good);
});
afterAll(async () => {
  await tmp?.cleanup();
});

/** Captures what `main` writes to process.stdout / process.stderr. */
function captureProcessOutput(): { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const sink =
    (list: string[]) =>
    (chunk: string | Uint8Array): boolean => {
      list.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
  vi.spyOn(process.stdout, 'write').mockImplementation(sink(out) as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(sink(err) as typeof process.stderr.write);
  return { stdout: () => out.join(''), stderr: () => err.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('callscope analyze: one batch of bad and good inputs', () => {
  /** The problem each bad input's error line must name. */
  const problems: [keyof BadInputs, RegExp][] = [
    ['missing', /not found/],
    ['empty', /empty/],
    ['textAsWav', /not a readable audio file|unknown format|no audio stream/],
    ['truncated', /truncated/],
    ['garbageMp3', /not a readable audio file|unknown format|no audio stream|unsupported/],
    ['zeroSamples', /no audio samples/],
    ['sixChannels', /6 channels/],
  ];
  const batch = { code: -1, stdout: [] as string[], errorLines: [] as string[] };

  beforeAll(async () => {
    const files = [...problems.map(([k]) => bad[k]), bad.narrowband8k, good];
    const stderr: string[] = [];
    batch.code = await runAnalyze(
      files,
      { format: 'json', quiet: true },
      { stdout: (s) => batch.stdout.push(s), stderr: (s) => stderr.push(s) },
    );
    batch.errorLines = stderr.join('').split('\n').filter(Boolean);
  });

  for (const [key, problem] of problems) {
    it(`${key}: exactly one "error: <path>: …" line naming the problem`, () => {
      const lines = batch.errorLines.filter((l) => l.startsWith(`error: ${bad[key]}: `));
      expect(lines, JSON.stringify(batch.errorLines)).toHaveLength(1);
      expect(lines[0]).toMatch(problem);
    });
  }

  it('regression: a WAV truncated to 30 % (header says 10 s, 3 s of data) is rejected, not analysed', () => {
    // ffmpeg estimates the duration of a cut WAV from its size, so the header/decoded check in
    // analyzeFile never fires; the file must fail, not yield a 3 s result.
    const results = batch.stdout.map((s) => JSON.parse(s) as AnalysisResult);
    expect(results.map((r) => r.file)).not.toContain(basename(bad.truncated));
  });

  it('stderr holds only error lines for bad inputs (no stack traces, no progress)', () => {
    const badPaths = problems.map(([k]) => bad[k]);
    for (const l of batch.errorLines) {
      expect(
        badPaths.some((p) => l.startsWith(`error: ${p}: `)),
        l,
      ).toBe(true);
    }
  });

  it('each good file produces exactly one JSON result', () => {
    const results = batch.stdout.map((s) => JSON.parse(s) as AnalysisResult);
    const goodResults = results.filter(
      (r) => r.file === basename(good) || r.file === basename(bad.narrowband8k),
    );
    expect(goodResults.map((r) => r.file).sort()).toEqual(
      [basename(good), basename(bad.narrowband8k)].sort(),
    );
    for (const r of goodResults) {
      expect(r.durationS).toBeGreaterThan(18);
      expect(r.speakers.length).toBeGreaterThan(0);
      expect(r.turns.length).toBeGreaterThan(0);
    }
  });

  it('the 8 kHz file is analysed after resampling, flagged narrowband, with a warning', () => {
    const results = batch.stdout.map((s) => JSON.parse(s) as AnalysisResult);
    const narrow = results.find((r) => r.file === basename(bad.narrowband8k));
    expect(narrow).toBeDefined();
    expect(narrow!.sourceSampleRate).toBe(8000);
    expect(narrow!.quality).toHaveLength(1);
    expect(narrow!.quality[0].flags).toContain('narrowband');
    expect(narrow!.warnings.some((w) => /narrowband/.test(w))).toBe(true);
    const wide = results.find((r) => r.file === basename(good));
    expect(wide!.quality[0].flags).not.toContain('narrowband');
  });

  it('exit code 1 (some inputs failed)', () => {
    expect(batch.code).toBe(1);
  });
});

describe('callscope analyze via main()', () => {
  it('--out writes <name>.json, .rttm and .csv; the RTTM file id is the input base name', async () => {
    const out = join(tmp.path, 'exports');
    const io = captureProcessOutput();
    const code = await main([
      'node',
      'callscope',
      'analyze',
      '--quiet',
      '--format',
      'json',
      '--out',
      out,
      good,
    ]);
    expect(code, io.stderr()).toBe(0);
    const base = 'falcon_test';
    for (const ext of ['json', 'rttm', 'csv'])
      expect(existsSync(join(out, `${base}.${ext}`)), ext).toBe(true);

    const json = JSON.parse(await readFile(join(out, `${base}.json`), 'utf8')) as AnalysisResult;
    expect(json.file).toBe('falcon_test.wav');
    // stdout carries the same result
    expect((JSON.parse(io.stdout()) as AnalysisResult).turns).toEqual(json.turns);

    const rttm = parseRttm(await readFile(join(out, `${base}.rttm`), 'utf8'));
    expect([...rttm.keys()]).toEqual([base]);
    expect(rttm.get(base)).toHaveLength(json.turns.length);

    const csv = (await readFile(join(out, `${base}.csv`), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('start_s,end_s,duration_s,speaker_id,speaker_label,channel,overlap');
    expect(csv).toHaveLength(json.turns.length + 1);
  });

  it('--format rttm prints RTTM on stdout', async () => {
    const io = captureProcessOutput();
    const code = await main(['node', 'callscope', 'analyze', '-q', '--format', 'rttm', good]);
    expect(code, io.stderr()).toBe(0);
    const lines = io.stdout().trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l).toMatch(/^SPEAKER falcon_test 1 \d+\.\d{3} \d+\.\d{3} <NA> <NA> (you|S\d+) <NA> <NA>$/);
    }
  });

  it('--num-speakers 0 is a usage error (exit 2) naming the option', async () => {
    const io = captureProcessOutput();
    const code = await main(['node', 'callscope', 'analyze', '--num-speakers', '0', good]);
    expect(code).toBe(2);
    expect(io.stderr()).toMatch(/--num-speakers/);
    expect(io.stderr()).toMatch(/positive integer/);
    expect(io.stdout()).toBe('');
  });

  it('unknown --format is a usage error (exit 2)', async () => {
    const io = captureProcessOutput();
    expect(await main(['node', 'callscope', 'analyze', '--format', 'xml', good])).toBe(2);
    expect(io.stderr()).toMatch(/xml/);
  });
});

describe('outputBaseName', () => {
  it('drops folder and extension and replaces whitespace (RTTM ids cannot contain it)', () => {
    expect(outputBaseName('/calls/2024 06 01 client.m4a')).toBe('2024_06_01_client');
    expect(outputBaseName('falcon_test.wav')).toBe('falcon_test');
  });
});
