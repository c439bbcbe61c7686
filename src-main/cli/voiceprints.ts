/**
 * `callscope voiceprints …` (the local library of known voices) and `callscope history …` (stored
 * calls), plus `analyze --db` (analyse, label speakers from the library, save the call). Every
 * subcommand takes `--db PATH` (else `CALLSCOPE_DB`, else the platform data folder) and `--json`.
 * Errors are one line `error: …` on stderr with exit code 1.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { type Command, InvalidArgumentError, Option } from 'commander';

import type { AnalysisResult } from '../../src-shared/contracts/analysis.ts';
import type { Identification, ScoreKind, Voiceprint } from '../../src-shared/contracts/voiceprints.ts';
import { exportResult, type ExportFormat } from '../../src-shared/formats/exports.ts';
import { analyzeFile, type EngineModels, loadEngineModels, speakerEmbeddingSetsOf } from '../engine/index.ts';
import { loadManifest } from '../engine/inference/registry.ts';
import { deleteCall, exportCall, getCall, listCalls } from '../store/calls.ts';
import { type Db, openDb, resolveDbPath, StoreError, toStoreError } from '../store/db.ts';
import { exportLibrary, importLibrary } from '../store/exchange.ts';
import { operatingPointFor } from '../engine/voiceprints/identify.ts';
import { embedCallSpeaker } from '../services/enroll-sources.ts';
import { labelResult, saveLabelledCall, voiceprintsWithStatus } from '../services/voiceprint-labels.ts';
import { enrollmentEmbedders, voiceprintModelId } from '../engine/voiceprints/models.ts';
import { embedSpeechWith, type SpeechEmbedding } from '../engine/voiceprints/speech-embedding.ts';
import {
  addEmbeddings,
  createVoiceprint,
  deleteVoiceprint,
  getVoiceprint,
  mergeVoiceprints,
  renameVoiceprint,
  voiceprintIdByName,
} from '../store/voiceprints.ts';
import { outputBaseName, writeExports } from './analyze.ts';
import { formatResultTable } from './format-table.ts';

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

interface Common {
  db?: string;
  create?: boolean;
  json?: boolean;
  embedding?: string;
}

/**
 * Opens the database a command names: `--db`, else `CALLSCOPE_DB`, else the platform data folder.
 * A database named by `--db` or `CALLSCOPE_DB` must exist unless `create` is true (`--create`), so a
 * mistyped path is an error instead of a new, empty library; the default data folder's database
 * is created on first use.
 * @throws StoreError `not_found` naming the path (and `--create`), or any error of {@link openDb}.
 */
export function openCliDb(dbOption: string | undefined, create = false): Db {
  const path = resolveDbPath(dbOption);
  const named = dbOption !== undefined || Boolean(process.env.CALLSCOPE_DB);
  try {
    return openDb(path, { create: create || !named });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'not_found') {
      const from = dbOption !== undefined ? '--db' : 'CALLSCOPE_DB';
      throw new StoreError(
        'not_found',
        `${path}: no such database (from ${from}; nothing was created). Check the path, or add --create to start a new one`,
      );
    }
    throw err;
  }
}

const id = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer id');
  return n;
};
const seconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be seconds ≥ 0');
  return n;
};

/** Runs `fn` with the database open; maps any error to `error: …` and exit code 1. */
async function withDb(
  o: Common,
  io: Io,
  setExit: (c: number) => void,
  fn: (db: Db) => Promise<void> | void,
): Promise<void> {
  let db: Db | undefined;
  const path = resolveDbPath(o.db);
  try {
    db = openCliDb(o.db, o.create);
    await fn(db);
    setExit(0);
  } catch (raw) {
    const err = toStoreError(raw, path);
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    setExit(1);
  } finally {
    db?.close();
  }
}

/**
 * Reads a voiceprint export for `voiceprints import`.
 * @throws StoreError `not_found` / `invalid` with a one-line message naming the file (missing,
 *   a folder, unreadable) instead of the raw system error.
 */
async function readImportFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT')
      throw new StoreError('not_found', `${file}: no such export file; nothing was imported`);
    if (code === 'EISDIR')
      throw new StoreError(
        'invalid',
        `${file}: is a folder, not a voiceprint export file; nothing was imported`,
      );
    if (code === 'EACCES')
      throw new StoreError('invalid', `${file}: no permission to read it; nothing was imported`);
    throw new StoreError(
      'invalid',
      `${file}: cannot be read (${(err as Error).message}); nothing was imported`,
    );
  }
}

const describeVp = (v: Voiceprint): string => {
  const models = [...new Set(v.embeddings.map((e) => `${e.modelId} ${e.modelVersion}`))].join(', ');
  const speech = v.embeddings.reduce((s, e) => s + e.speechS, 0);
  const line = `${String(v.id).padStart(4)}  ${v.name.padEnd(24)} ${v.embeddings.length} embedding(s), ${speech.toFixed(1)} s speech, ${models}; consent ${v.consent.givenAt.slice(0, 10)}: ${v.consent.how}`;
  return v.needsReenrollment ? `${line}\n      needs re-enrollment: ${v.needsReenrollment.reason}` : line;
};

const describeId = (speaker: string, i: Identification): string => {
  if (!i.best)
    return `  ${speaker.padEnd(5)} ${i.label.padEnd(24)} no comparison: ${i.reason ?? 'no candidate'}`;
  const sim = i.best.similarity.toFixed(3);
  const score = i.scoring === 'as-norm' ? `, AS-norm score ${i.best.score.toFixed(2)}` : '';
  const p = i.probability !== undefined ? `, P(same speaker) ${i.probability.toFixed(2)}` : '';
  const alt = i.status !== 'known' ? ` (closest: ${i.best.name}, a hint only)` : '';
  return `  ${speaker.padEnd(5)} ${i.label.padEnd(24)} similarity ${sim}${score}${p}${alt}`;
};

/** The voiceprint encoder the command uses: `--embedding` or {@link voiceprintModelId} (id + version). */
function encoderModel(embedding?: string): { id: string; version: string } {
  const chosen = embedding ?? voiceprintModelId();
  const entry = loadManifest().models.find((x) => x.id === chosen && x.role === 'embedding');
  if (!entry) throw new Error(`unknown embedding model ${chosen}`);
  return { id: entry.id, version: entry.version };
}

/** Printed before every library export (CLI); the UI shows the same text in its confirmation. */
export const BIOMETRIC_EXPORT_WARNING =
  'warning: the export file contains voiceprints — voice embeddings of real people, which are ' +
  'biometric data — with their names, consent records and source file names. Anyone with the ' +
  'file can try to recognise these voices. Store it privately (it is written readable by you ' +
  'only) and share it only with people entitled to it.';

/**
 * Registers `voiceprints` and `history` on the program.
 * @param setExit receives each command's exit code (0 ok, 1 failed).
 */
export function registerVoiceprintCommands(program: Command, io: Io, setExit: (c: number) => void): void {
  const vp = program.command('voiceprints').description('the local library of known voices (biometric data)');
  const common = (c: Command): Command =>
    c
      .option('--db <path>', 'database file, which must exist (default: $CALLSCOPE_DB or the data folder)')
      .option('--create', 'create the --db / $CALLSCOPE_DB database when it does not exist')
      .option('--json', 'JSON output');
  const embeddingOpt = (c: Command): Command =>
    c.option('--embedding <id>', "voiceprint encoder id (default: the manifest's voiceprint model)");
  const out = (o: Common, json: unknown, text: string): void =>
    io.stdout(o.json ? JSON.stringify(json, null, 2) + '\n' : text);

  embeddingOpt(
    common(
      vp
        .command('list')
        .description(
          'list voiceprints; those without an embedding of the identifying encoder need re-enrollment',
        ),
    ),
  ).action((o: Common) =>
    withDb(o, io, setExit, (db) => {
      const list = voiceprintsWithStatus(db, encoderModel(o.embedding));
      out(o, list, list.length ? list.map(describeVp).join('\n') + '\n' : 'no voiceprints\n');
    }),
  );

  embeddingOpt(
    common(
      vp
        .command('enroll')
        .description(
          'enroll a voice from recordings (only VAD speech is used) or from a speaker of a stored call; at least 8 s of speech',
        )
        .argument('[files...]', 'recordings of this one speaker')
        .requiredOption('--name <name>', 'name of the person')
        .requiredOption('--consent <text>', 'how the person consented to keeping their voiceprint')
        .option('--notes <text>', 'free notes', '')
        .option('--from <s>', 'start of the range to use, seconds', seconds)
        .option('--to <s>', 'end of the range to use, seconds', seconds)
        .option('--call <id>', 'enroll a speaker of this stored call (history list) instead of files', id)
        .option('--speaker <key>', 'with --call: the speaker id in that call, e.g. S2 (history show)')
        .option('--merge', 'the name is already enrolled: add this recording to that voiceprint'),
    ),
  ).action(
    (
      files: string[],
      o: Common & {
        name: string;
        consent: string;
        notes: string;
        from?: number;
        to?: number;
        call?: number;
        speaker?: string;
        merge?: boolean;
      },
    ) =>
      withDb(o, io, setExit, async (db) => {
        const fromCall = o.call !== undefined;
        if (fromCall && files.length) throw new Error('give either recordings or --call, not both');
        if (!fromCall && !files.length)
          throw new Error('give the recordings to enroll from, or --call ID --speaker KEY');
        if (fromCall && !o.speaker)
          throw new Error('--call needs --speaker (the speaker id in that call, e.g. S1)');
        if (!fromCall && o.speaker) throw new Error('--speaker only applies with --call');
        if (fromCall && (o.from !== undefined || o.to !== undefined))
          throw new Error("--from/--to apply to recordings; with --call the speaker's own turns are used");
        if (!o.consent.trim()) throw new Error('--consent must say how the person consented');
        const models = await loadEngineModels({ voiceprint: o.embedding, ageGender: null });
        const encoders = await enrollmentEmbedders(models);
        let es: (SpeechEmbedding & { source: string })[];
        if (fromCall) es = await embedCallSpeaker(db, o.call!, o.speaker!, encoders);
        else {
          const range =
            o.from !== undefined || o.to !== undefined ? `[${o.from ?? 0}-${o.to ?? 'end'} s]` : '';
          const source = files.map((f) => `file:${resolve(f)}${range}`).join(' ');
          es = (await embedSpeechWith(files, models.vadModel, encoders, { fromS: o.from, toS: o.to })).map(
            (x) => ({ ...x, source }),
          );
        }
        const e = es[0];
        const existing = o.merge ? voiceprintIdByName(db, o.name) : null;
        if (existing !== null) addEmbeddings(db, existing, es);
        const newId =
          existing ?? createVoiceprint(db, { name: o.name, notes: o.notes, consentHow: o.consent }, es);
        const v = getVoiceprint(db, newId);
        out(
          o,
          v,
          `enrolled ${v.name} (id ${v.id}) from ${e.source}: ${e.speechS.toFixed(1)} s of speech, SNR ${e.snrDb ?? '?'} dB, ${es.map((x) => x.modelId).join(', ')}\n`,
        );
      }),
  );

  embeddingOpt(
    common(
      vp
        .command('identify')
        .description('analyse recordings and name each speaker found from the library')
        .argument('<files...>', 'recordings')
        .addOption(
          new Option(
            '--scoring <kind>',
            'decision score (default: the calibrated one of the encoder)',
          ).choices(['cosine', 'as-norm']),
        )
        .option(
          '--threshold <score>',
          'decision threshold on the decision score (default: calibrated per encoder and scoring)',
          Number,
        ),
    ),
  ).action((files: string[], o: Common & { threshold?: number; scoring?: ScoreKind }) =>
    withDb(o, io, setExit, async (db) => {
      const models = await loadEngineModels({ voiceprint: o.embedding });
      const enc = models.voiceprintEmbedder.use;
      const op = {
        ...operatingPointFor(enc.id, enc.version, o.scoring),
        ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
      };
      const all: { file: string; speakers: Record<string, Identification> }[] = [];
      let text = '';
      for (const f of files) {
        const r = await analyzeFile(f, models);
        const set = speakerEmbeddingSetsOf(r).find((x) => x.use.id === enc.id);
        const ids = labelResult(db, r, set?.embeddings ?? new Map(), enc, op);
        all.push({ file: f, speakers: Object.fromEntries(ids) });
        text += `${f}:\n${[...ids].map(([s, i]) => describeId(s, i)).join('\n')}\n`;
      }
      out(o, all, text);
    }),
  );

  common(
    vp
      .command('rename')
      .description('give a voiceprint another name')
      .argument('<id>', 'voiceprint id', id)
      .argument('<name>', 'new name'),
  ).action((vid: number, name: string, o: Common) =>
    withDb(o, io, setExit, (db) => {
      const v = renameVoiceprint(db, vid, name);
      out(o, v, `renamed ${v.id} to ${v.name}\n`);
    }),
  );

  common(
    vp
      .command('merge')
      .description('merge two voiceprints of the same person (keeps the first)')
      .argument('<keep>', 'id kept', id)
      .argument('<gone>', 'id merged into it and removed', id),
  ).action((keep: number, gone: number, o: Common) =>
    withDb(o, io, setExit, (db) => {
      const v = mergeVoiceprints(db, keep, gone);
      out(o, v, `merged ${gone} into ${v.id} (${v.name}): ${v.embeddings.length} embedding(s)\n`);
    }),
  );

  common(
    vp.command('delete').description('delete a voiceprint for good').argument('<id>', 'voiceprint id', id),
  ).action((vid: number, o: Common) =>
    withDb(o, io, setExit, (db) => {
      deleteVoiceprint(db, vid);
      out(o, { deleted: vid }, `deleted voiceprint ${vid}\n`);
    }),
  );

  common(
    vp
      .command('export')
      .description('export the library (versioned JSON; contains voiceprints, i.e. biometric data)')
      .argument('<file>', 'output file')
      .option('--yes', 'confirm that the file may hold biometric data (required)'),
  ).action((file: string, o: Common & { yes?: boolean }) =>
    withDb(o, io, setExit, async (db) => {
      io.stderr(`${BIOMETRIC_EXPORT_WARNING}\n`);
      if (!o.yes)
        throw new Error(
          'export not written: confirm with --yes that you may keep and share this biometric data (docs/voiceprint-export.md lists every field)',
        );
      const data = exportLibrary(db);
      await writeFile(file, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
      out(
        o,
        { file, voiceprints: data.voiceprints.length },
        `exported ${data.voiceprints.length} voiceprint(s) to ${file}\n`,
      );
    }),
  );

  embeddingOpt(
    common(
      vp
        .command('import')
        .description('import voiceprints from an export file (voiceprints already there are not duplicated)')
        .argument('<file>', 'export file')
        .option(
          '--merge',
          'add the embeddings of a voiceprint whose name the library has to that voiceprint',
        ),
    ),
  ).action((file: string, o: Common & { merge?: boolean }) =>
    withDb(o, io, setExit, async (db) => {
      const n = importLibrary(db, await readImportFile(file), encoderModel(o.embedding), {
        merge: o.merge,
      });
      out(o, { file, imported: n }, `imported ${n} new voiceprint(s) from ${file}\n`);
    }),
  );

  registerHistory(program, io, setExit, common, out);
}

function registerHistory(
  program: Command,
  io: Io,
  setExit: (c: number) => void,
  common: (c: Command) => Command,
  out: (o: Common, json: unknown, text: string) => void,
): void {
  const h = program.command('history').description('stored calls');
  const fmt = (): Option =>
    new Option('--format <format>', 'output format')
      .choices(['table', 'json', 'rttm', 'csv'])
      .default('table');
  common(
    h
      .command('list')
      .description('list stored calls, newest first')
      .option('--limit <n>', 'rows per page', id, 50)
      .option('--offset <n>', 'rows skipped', Number, 0)
      .option('--search <text>', 'match title, source or speaker names'),
  ).action((o: Common & { limit: number; offset: number; search?: string }) =>
    withDb(o, io, setExit, (db) => {
      const page = listCalls(db, o);
      const rows = page.calls.map(
        (c) =>
          `${String(c.id).padStart(5)}  ${c.startedAt.slice(0, 19).replace('T', ' ')}  ${c.durationS.toFixed(1).padStart(7)} s  ${c.title}  [${c.speakers.join(', ')}]`,
      );
      out(o, page, `${page.total} call(s)\n${rows.join('\n')}${rows.length ? '\n' : ''}`);
    }),
  );
  common(
    h
      .command('show')
      .description("print a stored call's speaker timeline (or JSON, RTTM, CSV)")
      .argument('<id>', 'call id', id)
      .addOption(fmt()),
  ).action((cid: number, o: Common & { format: string }) =>
    withDb(o, io, setExit, (db) => {
      const c = getCall(db, cid);
      if (o.json || o.format === 'json') io.stdout(JSON.stringify(c, null, 2) + '\n');
      else if (o.format === 'table') io.stdout(formatResultTable(c.result) + '\n');
      else io.stdout(exportCall(db, cid, o.format as ExportFormat));
    }),
  );
  common(
    h.command('delete').description('delete a stored call for good').argument('<id>', 'call id', id),
  ).action((cid: number, o: Common) =>
    withDb(o, io, setExit, (db) => {
      deleteCall(db, cid);
      out(o, { deleted: cid }, `deleted call ${cid}\n`);
    }),
  );
  common(
    h
      .command('export')
      .description('export a stored call as JSON, RTTM or CSV')
      .argument('<id>', 'call id', id)
      .addOption(new Option('--format <format>').choices(['json', 'rttm', 'csv']).default('json'))
      .option('--out <file>', 'write to this file instead of stdout'),
  ).action((cid: number, o: Common & { format: ExportFormat; out?: string }) =>
    withDb(o, io, setExit, async (db) => {
      const text = exportCall(db, cid, o.format);
      if (o.out) {
        await writeFile(o.out, text);
        out(
          o,
          { call: cid, format: o.format, file: o.out, bytes: Buffer.byteLength(text) },
          `exported call ${cid} (${o.format}) to ${o.out}\n`,
        );
      } else io.stdout(text);
    }),
  );
}

/**
 * `analyze --db`: analyses each file, labels its speakers from the library, saves the call and
 * prints it like `analyze` does. One failing file does not stop the batch.
 * @returns 0 all saved, 1 some failed, 3 models could not be loaded.
 */
export async function runAnalyzeToStore(
  files: string[],
  opts: {
    format: 'table' | ExportFormat;
    embedding?: string;
    dbPath?: string;
    createDb?: boolean;
    out?: string;
  } & Parameters<typeof analyzeFile>[2],
  io: Io,
  preloaded?: EngineModels,
): Promise<number> {
  let models: EngineModels;
  let db: Db;
  try {
    // the database first: a mistyped --db is reported before the models take time to load
    db = openCliDb(opts.dbPath, opts.createDb);
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    models = preloaded ?? (await loadEngineModels(opts));
  } catch (err) {
    db.close();
    io.stderr(`callscope: cannot load models: ${err instanceof Error ? err.message : String(err)}\n`);
    return 3;
  }
  let failed = 0;
  try {
    for (const f of files) {
      try {
        const r: AnalysisResult = await analyzeFile(f, models, opts);
        const { callId } = saveLabelledCall(db, r, speakerEmbeddingSetsOf(r), `file:${resolve(f)}`);
        const written = opts.out ? await writeExports(r, f, opts.out) : [];
        if (opts.format === 'table') io.stdout(`call ${callId} saved\n${formatResultTable(r)}\n`);
        else io.stdout(exportResult(r, opts.format, outputBaseName(f)));
        for (const w of written) io.stderr(`wrote ${w}\n`);
      } catch (err) {
        failed++;
        io.stderr(`error: ${f}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  } finally {
    db.close();
  }
  return failed ? 1 : 0;
}
