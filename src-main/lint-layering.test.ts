/**
 * The layering rules of STYLE.md 5 are enforced by ESLint (eslint.config.js); these tests check
 * that each rule really fires on a violating snippet and stays quiet on a clean one.
 */
import { ESLint } from 'eslint';
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
  it('clean code passes', async () => {
    expect(await ruleIds('export const x: number = 1;\n', 'src-shared/x.ts')).toEqual([]);
  });
});
