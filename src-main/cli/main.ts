/**
 * The `callscope` command line (commander). Subcommands: analyze, eval, eval-dev, eval-vad,
 * voiceprints, history, live, models.
 */
import { writeFile } from 'node:fs/promises';

import { Command, InvalidArgumentError, Option } from 'commander';

import type { ChannelLayout, ProviderSettings } from '../../src-shared/contracts/analysis.ts';
import { loadEngineModels } from '../engine/index.ts';
import { parseProviderSpec } from '../engine/inference/providers.ts';
import { evaluateRttmDirs, formatEvalTable } from '../engine/eval/eval-dirs.ts';
import { modelChoicesOf, runAnalyze, type AnalyzeCliOptions } from './analyze.ts';
import { runEvalDev } from './eval-dev.ts';
import { registerLiveCommand } from './live.ts';
import { registerModelCommands } from './models.ts';
import { evaluateVad, formatVadTable } from './eval-vad.ts';
import { registerVoiceprintCommands, runAnalyzeToStore } from './voiceprints.ts';

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const providerSpec = (v: string): ProviderSettings => {
  try {
    return parseProviderSpec(v, '--providers');
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
};
const positiveNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

/**
 * Refuses contradictory speaker-count options: `--num-speakers` with `--min-speakers` /
 * `--max-speakers` it falls outside of, or `--min-speakers` above `--max-speakers`.
 * @throws Error naming the options and their values.
 */
export function checkSpeakerCounts(o: {
  numSpeakers?: number;
  minSpeakers?: number;
  maxSpeakers?: number;
}): void {
  const { numSpeakers: n, minSpeakers: lo, maxSpeakers: hi } = o;
  if (lo !== undefined && hi !== undefined && lo > hi)
    throw new Error(`--min-speakers ${lo} is above --max-speakers ${hi}: no speaker count satisfies both`);
  if (n !== undefined && lo !== undefined && n < lo)
    throw new Error(`--num-speakers ${n} is below --min-speakers ${lo}`);
  if (n !== undefined && hi !== undefined && n > hi)
    throw new Error(`--num-speakers ${n} is above --max-speakers ${hi}`);
}

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Builds the program; `io` lets tests capture output. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('callscope')
    .description('Local, offline call analysis: who speaks when, known voices, age/gender, audio quality.')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  program
    .command('analyze')
    .description('analyse recordings and print who spoke when')
    .argument('<files...>', 'audio files (wav, mp3, m4a, ogg/opus, flac, webm)')
    .addOption(
      new Option('--format <format>', 'output on stdout')
        .choices(['table', 'json', 'rttm', 'csv'])
        .default('table'),
    )
    .option('--out <dir>', 'also write <name>.json, <name>.rttm and <name>.csv per input into this folder')
    .option('--num-speakers <n>', 'exact number of speakers (diarised channel)', positiveInt)
    .option('--min-speakers <n>', 'minimum number of speakers', positiveInt)
    .option('--max-speakers <n>', 'maximum number of speakers', positiveInt)
    .addOption(
      new Option('--channels <layout>', 'channel layout: auto, mono (down-mix), mic,system or system,mic')
        .choices(['auto', 'mono', 'mic,system', 'system,mic'])
        .default('auto'),
    )
    .addOption(new Option('--vad <backend>', 'VAD backend').choices(['silero', 'webrtc']).default('silero'))
    .option(
      '--embedding <id>',
      'embedding model id from models/manifest.json (default: the manifest default)',
    )
    .option(
      '--model <id...>',
      'use these models for this run, one per role (ids from `callscope models list`; default: ' +
        'the model chosen with `callscope models use`, else the manifest default)',
    )
    .option('--step <seconds>', 'segmentation window step in seconds, (0, 1]', positiveNumber)
    .option('--threshold <distance>', 'clustering cosine-distance threshold', positiveNumber)
    .option('-q, --quiet', 'no progress bar')
    .option(
      '--providers <spec>',
      'execution providers to try in order, cpu last: "cuda,cpu" for every role, or per role ' +
        '"embedding=cuda,cpu;agegender=cuda,cpu" (default: $CALLSCOPE_PROVIDERS, else cpu)',
      providerSpec,
    )
    .option(
      '--db <path>',
      'save each call in this history database (which must exist) and name speakers from its voiceprints',
    )
    .option('--create', 'create the --db database when it does not exist')
    .action(async (files: string[], o: Record<string, unknown>) => {
      const opts: AnalyzeCliOptions = {
        format: o.format as AnalyzeCliOptions['format'],
        out: o.out as string | undefined,
        numSpeakers: o.numSpeakers as number | undefined,
        minSpeakers: o.minSpeakers as number | undefined,
        maxSpeakers: o.maxSpeakers as number | undefined,
        channels: o.channels as ChannelLayout,
        vad: o.vad as 'silero' | 'webrtc',
        embedding: o.embedding as string | undefined,
        segmentationStepS: o.step as number | undefined,
        clusteringThreshold: o.threshold as number | undefined,
        quiet: Boolean(o.quiet),
        providers: o.providers as ProviderSettings | undefined,
      };
      try {
        if (o.model) opts.models = modelChoicesOf(o.model as string[]);
        checkSpeakerCounts(opts);
      } catch (err) {
        io.stderr(`error: ${(err as Error).message}\n`);
        setExit(2);
        return;
      }
      if (o.create && !o.db) {
        io.stderr('error: --create needs --db <path> (the database to create)\n');
        setExit(2);
        return;
      }
      if (o.db)
        setExit(
          await runAnalyzeToStore(
            files,
            { ...opts, dbPath: o.db as string, createDb: Boolean(o.create) },
            io,
          ),
        );
      else setExit(await runAnalyze(files, opts, io));
    });

  program
    .command('eval')
    .description('score hypothesis RTTMs against reference RTTMs (DER, JER, VAD F1)')
    .requiredOption('--ref <dir>', 'folder of reference .rttm files')
    .requiredOption('--hyp <dir>', 'folder of hypothesis .rttm files')
    .option('--json <file>', 'also write the full report as JSON')
    .action(async (o: { ref: string; hyp: string; json?: string }) => {
      const report = await evaluateRttmDirs(o.ref, o.hyp);
      io.stdout(formatEvalTable(report));
      if (o.json) await writeFile(o.json, JSON.stringify(report, null, 2));
      setExit(0);
    });

  program
    .command('eval-dev')
    .description('analyse the dev diarization and stereo sets and score them')
    .option('--out <dir>', 'where hypothesis RTTMs and eval-dev.md go', 'bench/results/eval')
    .option('--embedding <id>', 'embedding model id')
    .action(async (o: { out: string; embedding?: string }) => {
      const models = await loadEngineModels({ embedding: o.embedding });
      setExit(await runEvalDev(models, o.out, {}, io.stdout));
    });
  program
    .command('eval-vad')
    .description('score the Silero and WebRTC VAD backends on the dev diarization set')
    .action(async () => {
      const models = await loadEngineModels();
      io.stdout(formatVadTable(await evaluateVad(models.vadModel)));
      setExit(0);
    });
  registerVoiceprintCommands(program, io, setExit);
  registerLiveCommand(program, io, setExit);
  registerModelCommands(program, io, setExit);
  return program;
}

/**
 * Runs the CLI.
 * @param argv process.argv-style array.
 * @returns exit code (0 ok, 1 some inputs failed, 2 usage error, 3 models missing).
 */
export async function main(argv: string[]): Promise<number> {
  const io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
      return 0;
    if (e.code?.startsWith('commander.')) return e.exitCode === 0 ? 0 : 2;
    io.stderr(`callscope: ${e.message ?? String(err)}\n`);
    return 1;
  }
  return code;
}
