/**
 * The layering rules of STYLE.md 5 and docs/ARCHITECTURE.md are enforced by ESLint
 * (eslint.config.js); these tests check that each rule really fires on a violating snippet and
 * stays quiet on a clean one, with the repository's real config.
 */
import { ESLint } from 'eslint';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res.messages.map((m) => m.ruleId ?? m.message);
}

describe('layering lint rules', () => {
  it('src-shared may not import node built-ins', async () => {
    expect(
      await ruleIds(
        "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
        'src-shared/x.ts',
      ),
    ).toContain('no-restricted-imports');
  });
  it('src-shared may not import electron or use DOM/Node globals', async () => {
    expect(
      await ruleIds("import { app } from 'electron';\nexport const a = app;\n", 'src-shared/x.ts'),
    ).toContain('no-restricted-imports');
    expect(await ruleIds('export const w = window.location;\n', 'src-shared/x.ts')).toContain(
      'no-restricted-globals',
    );
  });
  it('src-renderer may not import src-main', async () => {
    expect(
      await ruleIds(
        "import { analyzeFile } from '../src-main/engine/index.ts';\nexport const a = analyzeFile;\n",
        'src-renderer/x.ts',
      ),
    ).toContain('no-restricted-imports');
  });
  it('only src-main/engine/inference may import onnxruntime-node', async () => {
    const code = "import * as ort from 'onnxruntime-node';\nexport const o = ort;\n";
    expect(await ruleIds(code, 'src-main/engine/vad/x.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(code, 'src-main/engine/inference/x.ts')).not.toContain('no-restricted-imports');
  });
  it('src-main/engine may not import the store', async () => {
    const code = "import { openDb } from '../../store/db.ts';\nexport const o = openDb;\n";
    expect(await ruleIds(code, 'src-main/engine/pipeline/x.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(code, 'src-main/engine/inference/x.ts')).toContain('no-restricted-imports');
    const deep =
      "import { listVoiceprints } from '../../store/voiceprints.ts';\nexport const l = listVoiceprints;\n";
    expect(await ruleIds(deep, 'src-main/engine/voiceprints/x.ts')).toContain('no-restricted-imports');
    // the onnxruntime rule still holds there
    const ort = "import * as ort from 'onnxruntime-node';\nexport const o = ort;\n";
    expect(await ruleIds(ort, 'src-main/engine/voiceprints/x.ts')).toContain('no-restricted-imports');
    // the service layer joins them
    expect(await ruleIds(code.replace('../../', '../'), 'src-main/services/x.ts')).toEqual([]);
  });
  it('src-main/store may not import the engine', async () => {
    const code = "import { probeAudio } from '../engine/audio/ffmpeg.ts';\nexport const p = probeAudio;\n";
    expect(await ruleIds(code, 'src-main/store/x.ts')).toContain('no-restricted-imports');
    const vp = "import { cosine } from '../engine/voiceprints/identify.ts';\nexport const c = cosine;\n";
    expect(await ruleIds(vp, 'src-main/store/x.ts')).toContain('no-restricted-imports');
    expect(
      await ruleIds("import { nowIso } from './db.ts';\nexport const n = nowIso;\n", 'src-main/store/x.ts'),
    ).toEqual([]);
  });
  it('src-main/engine may not import capture, services, host, cli or app', async () => {
    const cases: [string, string][] = [
      ["import { ReplaySource } from '../../capture/replay.ts';", 'ReplaySource'],
      ["import { liveStoreOf } from '../../services/live-store.ts';", 'liveStoreOf'],
      ["import { startWebHost } from '../../host/web-host.ts';", 'startWebHost'],
      ["import { runCli } from '../../cli/in-process.ts';", 'runCli'],
      ["import { FileGrants } from '../../app/file-grants.ts';", 'FileGrants'],
    ];
    for (const [imp, name] of cases) {
      const code = `${imp}\nexport const x = ${name};\n`;
      expect(await ruleIds(code, 'src-main/engine/pipeline/x.ts'), imp).toContain('no-restricted-imports');
      expect(await ruleIds(code, 'src-main/engine/inference/x.ts'), imp).toContain('no-restricted-imports');
      expect(await ruleIds(code, 'src-main/engine/models/x.ts'), imp).toContain('no-restricted-imports');
    }
    // the engine's own live input interface is fine
    const own = "import { FRAME_S } from '../audio/capture-frames.ts';\nexport const f = FRAME_S;\n";
    expect(await ruleIds(own, 'src-main/engine/pipeline/x.ts')).toEqual([]);
  });
  it('inference and the pipeline may not import model management (engine/models)', async () => {
    const code = "import { listModels } from '../models/model-manager.ts';\nexport const l = listModels;\n";
    expect(await ruleIds(code, 'src-main/engine/pipeline/x.ts')).toContain('no-restricted-imports');
    expect(await ruleIds(code, 'src-main/engine/inference/x.ts')).toContain('no-restricted-imports');
    const fromRoot = code.replace('../models/', './models/');
    expect(await ruleIds(fromRoot, 'src-main/engine/x.ts')).toContain('no-restricted-imports');
    // model management itself, and the services, may
    expect(
      await ruleIds(
        code.replace('../models/model-manager.ts', './model-manager.ts'),
        'src-main/engine/models/x.ts',
      ),
    ).toEqual([]);
    expect(await ruleIds(code.replace('../models/', '../engine/models/'), 'src-main/services/x.ts')).toEqual(
      [],
    );
  });
  it('src-main/capture may not import the store or the layers above it', async () => {
    const store = "import { openDb } from '../store/db.ts';\nexport const o = openDb;\n";
    expect(await ruleIds(store, 'src-main/capture/x.ts')).toContain('no-restricted-imports');
    const svc = "import { liveStoreOf } from '../services/live-store.ts';\nexport const l = liveStoreOf;\n";
    expect(await ruleIds(svc, 'src-main/capture/x.ts')).toContain('no-restricted-imports');
    // capture is built on the engine's audio code
    const eng =
      "import { resolveFfmpeg } from '../engine/audio/ffmpeg.ts';\nexport const r = resolveFfmpeg;\n";
    expect(await ruleIds(eng, 'src-main/capture/x.ts')).toEqual([]);
  });
  it('src-main/services may import engine and store, but not app, host or cli', async () => {
    const ok =
      "import { openDb } from '../store/db.ts';\nimport { analyzeFile } from '../engine/index.ts';\nexport const o = [openDb, analyzeFile];\n";
    expect(await ruleIds(ok, 'src-main/services/x.ts')).toEqual([]);
    const app = "import { FileGrants } from '../app/file-grants.ts';\nexport const f = FileGrants;\n";
    expect(await ruleIds(app, 'src-main/services/x.ts')).toContain('no-restricted-imports');
    const host = "import { startWebHost } from '../host/web-host.ts';\nexport const s = startWebHost;\n";
    expect(await ruleIds(host, 'src-main/services/x.ts')).toContain('no-restricted-imports');
  });
  it('no import cycles: two files importing each other are caught, a type-only cycle is not', async () => {
    const dir = await mkdtemp(join(cwd, 'src-main', 'lint-cycle-'));
    try {
      const a = join(dir, 'a.ts');
      const b = join(dir, 'b.ts');
      const aCode = "import { b } from './b.ts';\nexport const a = (): number => b() + 1;\n";
      await writeFile(a, aCode);
      await writeFile(b, "import { a } from './a.ts';\nexport const b = (): number => a() - 1;\n");
      const [res] = await eslint.lintFiles([relative(cwd, a)]);
      expect(res.messages.map((m) => m.ruleId)).toContain('import-x/no-cycle');
      // a type-only import on one side leaves no run-time cycle
      await writeFile(
        b,
        "import type { a } from './a.ts';\nexport const b = (f: typeof a): number => f() - 1;\n",
      );
      const [typeOnly] = await eslint.lintFiles([relative(cwd, a)]);
      expect(typeOnly.messages).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('clean code passes', async () => {
    expect(await ruleIds('export const x: number = 1;\n', 'src-shared/x.ts')).toEqual([]);
  });
});
