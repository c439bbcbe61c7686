/** `callscope analyze`: batch file analysis with progress on stderr and exports. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';

import cliProgress from 'cli-progress';

import type {
  AnalysisResult,
  AnalyzeOptions,
  ProviderSettings,
} from '../../src-shared/contracts/analysis.ts';
import { exportResult, type ExportFormat } from '../../src-shared/formats/exports.ts';
import { analyzeFile, type EngineModels, loadEngineModels } from '../engine/index.ts';
import { loadManifest, type ModelChoices } from '../engine/inference/registry.ts';
import { formatResultTable } from './format-table.ts';

/** Options of {@link runAnalyze}. */
export interface AnalyzeCliOptions extends AnalyzeOptions {
  format: 'table' | ExportFormat;
  out?: string;
  quiet?: boolean;
  /** Execution-provider order per role (`--providers`); default: `CALLSCOPE_PROVIDERS`, else CPU. */
  providers?: ProviderSettings;
  /** Model per role for this run (`--model <id>`, repeatable); default: the user's choice, else the manifest's. */
  models?: ModelChoices;
}

/**
 * Maps `--model` ids to their roles.
 * @throws InvalidArgumentError-style Error for an unknown id or two ids of one role.
 */
export function modelChoicesOf(ids: string[]): ModelChoices {
  const out: ModelChoices = {};
  for (const id of ids) {
    const entry = loadManifest().models.find((m) => m.id === id);
    if (!entry) throw new Error(`--model ${id}: unknown model id (see \`callscope models list\`)`);
    if (out[entry.role])
      throw new Error(`--model: two ${entry.role} models given (${out[entry.role]}, ${id})`);
    out[entry.role] = id;
  }
  return out;
}

/** RTTM file id / output base name: the input's file name without extension, whitespace → `_`. */
export function outputBaseName(file: string): string {
  return basename(file, extname(file)).replace(/\s+/g, '_');
}

/** Writes the JSON, RTTM and CSV exports of a result into `dir`. @returns the written paths. */
export async function writeExports(result: AnalysisResult, input: string, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const base = outputBaseName(input);
  const written: string[] = [];
  for (const f of ['json', 'rttm', 'csv'] as const) {
    const path = join(dir, `${base}.${f}`);
    await writeFile(path, exportResult(result, f, base));
    written.push(path);
  }
  return written;
}

/** A one-line error for a failed input. */
function describeError(file: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.startsWith(file) ? msg : `${file}: ${msg}`;
}

/**
 * Analyses each file; one failure does not stop the batch. With `opts.out`, each written report
 * path is printed on stderr as `wrote <path>` after the file's result.
 * @returns exit code: 0 all analysed, 1 some failed, 3 models could not be loaded.
 */
export async function runAnalyze(
  files: string[],
  opts: AnalyzeCliOptions,
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
  preloaded?: EngineModels,
): Promise<number> {
  let models: EngineModels;
  try {
    models = preloaded ?? (await loadEngineModels(opts));
  } catch (err) {
    io.stderr(`callscope: cannot load models: ${err instanceof Error ? err.message : String(err)}\n`);
    return 3;
  }
  const bar = new cliProgress.SingleBar(
    {
      format: '{file} [{bar}] {percentage}% | {stage}',
      stream: process.stderr,
      hideCursor: false,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let failed = 0;
  for (const file of files) {
    const showBar = !opts.quiet && process.stderr.isTTY;
    if (showBar) bar.start(100, 0, { file: basename(file), stage: 'decode' });
    try {
      const result = await analyzeFile(file, models, opts, (stage, completed, total) => {
        if (showBar && total > 0) bar.update(Math.min(99, Math.round((100 * completed) / total)), { stage });
      });
      if (showBar) bar.stop();
      const written = opts.out ? await writeExports(result, file, opts.out) : [];
      if (opts.format === 'table') io.stdout(formatResultTable(result, Boolean(process.stdout.isTTY)) + '\n');
      else io.stdout(exportResult(result, opts.format, outputBaseName(file)));
      // after the table, on stderr (stdout stays the report alone for pipes)
      for (const w of written) io.stderr(`wrote ${w}\n`);
    } catch (err) {
      if (showBar) bar.stop();
      failed++;
      io.stderr(`error: ${describeError(file, err)}\n`);
    }
  }
  return failed ? 1 : 0;
}
