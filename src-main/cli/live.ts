/**
 * `callscope live`: monitors a call as it happens — microphone and system audio from the sound
 * server (or a replayed recording) — and prints turns and labels as they are found; `--format
 * jsonl` prints one typed event per line (src-shared/contracts/live.ts).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';

import type { LiveEvent } from '../../src-shared/contracts/live.ts';
import { FfmpegCaptureSource } from '../capture/ffmpeg-source.ts';
import { choosePulseSources, listPulseDevices, pulseCaptureSource } from '../capture/pulse.ts';
import { ReplaySource } from '../capture/replay.ts';
import type { CaptureSource } from '../engine/audio/capture-frames.ts';
import { type EngineModels, loadEngineModels } from '../engine/pipeline/analyze-file.ts';
import { LiveSession } from '../engine/pipeline/live-session.ts';
import { liveStoreOf } from '../services/live-store.ts';
import type { Db } from '../store/db.ts';
import { attributesText } from './format-table.ts';
import { openCliDb } from './voiceprints.ts';

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Options of {@link runLive}. */
export interface LiveCliOptions {
  mic?: string;
  system?: string;
  backend: 'pulse' | 'avfoundation' | 'dshow';
  replay?: string[];
  speed: number;
  db?: string;
  /** Create the `db` database when it does not exist (`--create`); else it must exist. */
  createDb?: boolean;
  format: 'text' | 'jsonl';
  /** Stop after this many seconds of audio. */
  duration?: number;
  /** Diarize the mic channel (several local people); see LiveSessionOptions.diarizeMic. */
  diarizeMic?: boolean;
}

const speedArg = (v: string): number => {
  if (v === 'max') return Infinity;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number or "max"');
  return n;
};
const secondsArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
};

const fmtT = (s: number): string => s.toFixed(1).padStart(7);

/** One line of text output for an event, or null when the event is not shown in text mode. */
export function formatLiveEvent(e: LiveEvent): string | null {
  switch (e.type) {
    case 'turn':
      return `[${fmtT(e.start_s)} – ${fmtT(e.end_s)}] ${e.label} (${e.channel})`;
    case 'speaker':
      if (e.change === 'new') return `${fmtT(e.t_s)}  new speaker: ${e.label} (${e.channel})`;
      if (e.change === 'identified' && e.status === 'unknown') return null;
      if (e.change === 'merged')
        return `${fmtT(e.t_s)}  ${e.speaker} is the same person as ${e.into}: merged`;
      return `${fmtT(e.t_s)}  ${e.speaker} ${e.change === 'identified' ? 'identified' : 'relabelled'}: ${e.label}${e.similarity !== undefined ? ` (similarity ${e.similarity.toFixed(2)})` : ''}`;
    case 'attributes': {
      const a = e.attributes;
      if (a.status !== 'estimated')
        return `${fmtT(e.t_s)}  ${e.speaker}: age/gender ${a.status}${a.reason ? ` (${a.reason})` : ''}`;
      return `${fmtT(e.t_s)}  ${e.speaker}: ${attributesText(a)} (${a.speechUsedS} s of speech)`;
    }
    case 'quality':
      return e.active ? `${fmtT(e.t_s)}  warning: ${e.channel} channel: ${e.message}` : null;
    case 'device':
      return `${fmtT(e.t_s)}  device: ${e.message}`;
    case 'session':
      return e.state === 'started'
        ? `live: ${e.source}${e.call_id !== null ? ` (call ${e.call_id})` : ''}`
        : `stopped after ${e.t_s.toFixed(1)} s`;
    default:
      return null;
  }
}

/** Builds the capture source for the options. @throws DeviceError / Error with a one-line message. */
export async function sourceFor(o: LiveCliOptions): Promise<CaptureSource> {
  if (o.replay?.length) return new ReplaySource(o.replay, { speed: o.speed, maxS: o.duration });
  if (o.backend === 'pulse') {
    const chosen = choosePulseSources(await listPulseDevices(), o.mic, o.system);
    return pulseCaptureSource(chosen.mic, chosen.system);
  }
  if (!o.mic) throw new Error(`--mic is required with --backend ${o.backend}`);
  return new FfmpegCaptureSource({ kind: o.backend, mic: o.mic, system: o.system ?? null });
}

/**
 * Runs a live session until the source ends, `--duration` is reached or SIGINT.
 * @returns exit code: 0 ok, 1 device/input/store error, 3 models missing.
 */
export async function runLive(o: LiveCliOptions, io: Io, preloaded?: EngineModels): Promise<number> {
  let models: EngineModels;
  try {
    models = preloaded ?? (await loadEngineModels());
  } catch (err) {
    io.stderr(`callscope: cannot load models: ${err instanceof Error ? err.message : String(err)}\n`);
    return 3;
  }
  let db: Db | null = null;
  try {
    const source = await sourceFor(o);
    if (o.db !== undefined) db = openCliDb(o.db, o.createDb);
    const session = new LiveSession(models, {
      store: db ? liveStoreOf(db) : null,
      diarizeMic: Boolean(o.diarizeMic),
    });
    session.on((e) => {
      if (o.format === 'jsonl') io.stdout(JSON.stringify(e) + '\n');
      else {
        const line = formatLiveEvent(e);
        if (line) io.stdout(line + '\n');
      }
      if (o.duration !== undefined && !o.replay && 't_s' in e && e.t_s >= o.duration) void session.stop();
    });
    const onSigint = (): void => void session.stop();
    process.once('SIGINT', onSigint);
    try {
      const summary = await session.run(source);
      if (o.format === 'text') {
        const who = summary.speakers.map((s) => `${s.label} ${s.speechS.toFixed(1)} s`).join(', ');
        io.stdout(
          `${summary.turns} turns; speakers: ${who || 'none'}${summary.callId !== null ? `; saved as call ${summary.callId}` : ''}\n`,
        );
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
    return 0;
  } catch (err) {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    db?.close();
  }
}

/** Registers `callscope live` on the program. */
export function registerLiveCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('live')
    .description(
      'monitor a call live: mic + system audio (or a replayed recording); prints turns and labels as they happen',
    )
    .option('--mic <source>', 'microphone source (default: the default source)')
    .option('--system <source>', "system-audio source (default: the default sink's .monitor)")
    .addOption(
      new Option('--backend <backend>', 'capture backend')
        .choices(['pulse', 'avfoundation', 'dshow'])
        .default(
          process.platform === 'darwin' ? 'avfoundation' : process.platform === 'win32' ? 'dshow' : 'pulse',
        ),
    )
    .option(
      '--replay <files...>',
      'replay a stereo recording (ch0 = mic, ch1 = system) or two files (mic, system)',
    )
    .option('--speed <x>', 'replay speed (1 = real time, "max" = unpaced)', speedArg, 1)
    .option('--duration <seconds>', 'stop after this many seconds of audio', secondsArg)
    .option(
      '--db <path>',
      'save the call in this history database (which must exist) as it goes and name known voices',
    )
    .option('--create', 'create the --db database when it does not exist')
    .option(
      '--diarize-mic',
      'several people share the microphone: tell the local speakers apart (Local 1, Local 2, …) instead of one "You"',
    )
    .addOption(new Option('--format <format>', 'output on stdout').choices(['text', 'jsonl']).default('text'))
    .option('--list-devices', 'list the sound server sources and defaults, then exit')
    .action(async (raw: Record<string, unknown>) => {
      if (raw.listDevices) {
        try {
          const d = await listPulseDevices();
          io.stdout(
            `default source: ${d.defaultSource ?? '(none)'}\ndefault sink: ${d.defaultSink ?? '(none)'}\n`,
          );
          for (const s of d.sources)
            io.stdout(`${s.monitor ? 'monitor' : 'input  '}  ${s.name}  ${s.state}\n`);
          setExit(0);
        } catch (err) {
          io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
          setExit(1);
        }
        return;
      }
      const opts: LiveCliOptions = {
        mic: raw.mic as string | undefined,
        system: raw.system as string | undefined,
        backend: raw.backend as LiveCliOptions['backend'],
        replay: raw.replay as string[] | undefined,
        speed: raw.speed as number,
        db: raw.db as string | undefined,
        createDb: Boolean(raw.create),
        format: raw.format as LiveCliOptions['format'],
        diarizeMic: Boolean(raw.diarizeMic),
        duration: raw.duration as number | undefined,
      };
      setExit(await runLive(opts, io));
    });
}
