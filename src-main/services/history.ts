/**
 * Call history on the store (src-shared/contracts/history.ts `HistoryService`): list, open,
 * delete, export, and playback clips of a call's kept audio. Also keeps a call's recording
 * beside the database when the user opted in (used by the analysis queue).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import {
  type AudioClip,
  MAX_AUDIO_CLIP_S,
  type HistoryPage,
  HistoryQuery,
  HistoryService,
  StoredCall,
} from '../../src-shared/contracts/history.ts';
import type { ExportFormat } from '../../src-shared/formats/exports.ts';
import { ENGINE_SAMPLE_RATE, resolveFfmpeg } from '../engine/audio/ffmpeg.ts';
import { deleteCall, exportCall, getCall, listCalls } from '../store/calls.ts';
import type { Db } from '../store/db.ts';
import { AppError } from '../../src-shared/errors.ts';

/** Folder of the kept call audio: `audio/` beside the database. */
export function callAudioDir(dbPath: string): string {
  return join(dirname(dbPath), 'audio');
}

/**
 * Keeps a call's recording for playback (the user opted in): an upload is moved, a local file
 * copied, to `audio/<callId><ext>` beside the database.
 */
export async function keepCallAudio(
  dbPath: string,
  callId: number,
  file: string,
  upload: boolean,
): Promise<void> {
  const dir = callAudioDir(dbPath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ext = /\.[A-Za-z0-9]{1,5}$/.exec(basename(file))?.[0] ?? '';
  const dest = join(dir, `${callId}${ext}`);
  if (upload) await rename(file, dest).catch(() => copyFile(file, dest));
  else await copyFile(file, dest);
}

/** The kept audio file of a call, or null when none was kept. */
function keptAudioOf(dbPath: string, callId: number): string | null {
  const dir = callAudioDir(dbPath);
  if (!existsSync(dir)) return null;
  const name = readdirSync(dir).find((f) => f === String(callId) || f.startsWith(`${callId}.`));
  return name ? join(dir, name) : null;
}

/** Encodes 16-bit PCM mono samples as a WAV file (RIFF header + data). */
function wavBytes(pcm: Buffer, sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

/** Decodes `[startS, endS)` of `file` to 16 kHz mono s16 PCM with ffmpeg. */
function decodeClip(file: string, startS: number, endS: number): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const args = ['-v', 'error', '-ss', String(startS), '-t', String(endS - startS), '-i', file];
    args.push('-ac', '1', '-ar', String(ENGINE_SAMPLE_RATE), '-f', 's16le', '-');
    const p = spawn(resolveFfmpeg(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.once('error', fail);
    p.once('close', (code) =>
      code === 0
        ? ok(Buffer.concat(out))
        : fail(new Error(`the kept audio could not be decoded: ${err.trim()}`)),
    );
  });
}

/** Call history on the store. */
export class History implements HistoryService {
  constructor(
    private readonly db: Db,
    /** The database file; kept call audio lives beside it (null: none is kept). */
    private readonly dbPath: string | null = null,
  ) {}
  async list(q: HistoryQuery): Promise<HistoryPage> {
    return listCalls(this.db, q);
  }
  async open(id: number): Promise<StoredCall> {
    return getCall(this.db, id);
  }
  async delete(id: number): Promise<void> {
    deleteCall(this.db, id);
    const audio = this.dbPath ? keptAudioOf(this.dbPath, id) : null;
    if (audio) await rm(audio, { force: true });
  }
  async export(id: number, format: ExportFormat): Promise<string> {
    return exportCall(this.db, id, format);
  }
  async audioClip(id: number, startS: number, endS: number): Promise<AudioClip> {
    const call = getCall(this.db, id);
    const from = Math.max(0, Math.min(startS, call.result.durationS));
    const to = Math.min(endS, call.result.durationS, from + MAX_AUDIO_CLIP_S);
    if (!(to > from))
      throw new AppError('bad_request', `no audio between ${startS} s and ${endS} s of this call`);
    const file = this.dbPath ? keptAudioOf(this.dbPath, id) : null;
    if (!file)
      throw new AppError(
        'not_kept',
        'the audio of this call was not kept; turn on "Keep call audio" in Settings before analysing a call to play it back from History',
      );
    const pcm = await decodeClip(file, from, to);
    return {
      mime: 'audio/wav',
      base64: wavBytes(pcm, ENGINE_SAMPLE_RATE).toString('base64'),
      startS: from,
      endS: to,
    };
  }
}
