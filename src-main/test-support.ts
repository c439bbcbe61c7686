/**
 * Test helpers shared by the `*.test.ts` files of src-main: where the shared models and dev data
 * live, decoding a dev file to mono, a temporary-folder helper, a PCM WAV writer and a generator
 * of bad-input files.
 *
 * Nothing here skips a test: a missing model folder or dev file throws, so the test that needs it
 * fails with a message naming the path. No audio is committed; every generated file is written
 * into a temporary folder at test time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { decodeStream, probeAudio, resolveFfmpeg } from './engine/audio/ffmpeg.ts';
import { concatFloat32 } from './engine/audio/samples.ts';

/** Repository root (this file is `<root>/src-main/test-support.ts`). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The shared folder beside the repository (`<root>/../shared`): models and data. */
export const SHARED_DIR = fileURLToPath(new URL('../../shared', import.meta.url));

/** Shared ONNX models (Silero VAD, pyannote segmentation, …). */
export const SHARED_MODELS_DIR = join(SHARED_DIR, 'models');

/** Public development data set (see `shared/data/DATA.md`). */
export const DEV_DATA_DIR = join(SHARED_DIR, 'data', 'dev');

/**
 * Points the model registry at the shared models (`CALLSCOPE_MODELS_DIR`).
 * @returns the absolute models folder.
 * @throws Error when the folder does not exist (the test must fail, not skip).
 */
export function useSharedModels(): string {
  if (!existsSync(SHARED_MODELS_DIR)) throw new Error(`shared models folder missing: ${SHARED_MODELS_DIR}`);
  process.env.CALLSCOPE_MODELS_DIR = SHARED_MODELS_DIR;
  return SHARED_MODELS_DIR;
}

/**
 * Absolute path of a dev-set file.
 * @param rel path below `shared/data/dev`, e.g. `diarization/falcon_test.wav`.
 * @throws Error when the file does not exist.
 */
export function devFile(rel: string): string {
  const path = join(DEV_DATA_DIR, rel);
  if (!existsSync(path)) throw new Error(`dev data file missing: ${path}`);
  return path;
}

/**
 * Decodes a dev-set file to 16 kHz mono through the engine's ffmpeg path.
 * @param rel path below `shared/data/dev`.
 * @param minSeconds stop decoding once at least this much is decoded (default: the whole file);
 *   the result may be longer by up to one decoded block.
 * @returns samples in [-1, 1].
 * @throws Error when the file does not exist or cannot be decoded.
 */
export async function decodeDevMono(rel: string, minSeconds = Infinity): Promise<Float32Array> {
  const file = devFile(rel);
  const parts: Float32Array[] = [];
  let len = 0;
  for await (const [x] of decodeStream(file, await probeAudio(file), { channels: 'mono' })) {
    parts.push(x);
    len += x.length;
    if (len >= minSeconds * 16_000) break;
  }
  return concatFloat32(parts);
}

/** A temporary folder and its removal. */
export interface TmpDir {
  path: string;
  /** Removes the folder and everything in it. */
  cleanup: () => Promise<void>;
}

/** Creates an empty folder under the OS temp dir, named `callscope-<prefix>-XXXXXX`. */
export async function createTmpDir(prefix: string): Promise<TmpDir> {
  const path = await mkdtemp(join(tmpdir(), `callscope-${prefix}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Encodes 16-bit PCM WAV bytes (RIFF/WAVE, `fmt ` + `data`).
 * @param channels one array per channel, same length, samples in [-1, 1] (clamped).
 * @param sampleRate Hz.
 */
export function encodeWav(channels: Float32Array[], sampleRate: number): Buffer {
  const nCh = channels.length;
  const n = nCh ? channels[0].length : 0;
  const dataBytes = n * nCh * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(nCh, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * nCh * 2, 28);
  buf.writeUInt16LE(nCh * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  for (let i = 0, o = 44; i < n; i++) {
    for (let c = 0; c < nCh; c++, o += 2) {
      const v = Math.max(-1, Math.min(1, channels[c][i]));
      buf.writeInt16LE(Math.round(v * 32767), o);
    }
  }
  return buf;
}

/** Writes a 16-bit PCM WAV file; see {@link encodeWav}. */
export async function writeWav(path: string, channels: Float32Array[], sampleRate: number): Promise<string> {
  await writeFile(path, encodeWav(channels, sampleRate));
  return path;
}

/** Sine wave, `amplitude · sin(2π f t)`, `seconds` long at `sampleRate`. */
export function sine(freqHz: number, amplitude: number, seconds: number, sampleRate = 16_000): Float32Array {
  const n = Math.round(seconds * sampleRate);
  return Float32Array.from(
    { length: n },
    (_, i) => amplitude * Math.sin((2 * Math.PI * freqHz * i) / sampleRate),
  );
}

/** Deterministic uniform random numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs ffmpeg (the binary the engine uses) with `-y -hide_banner -loglevel error` in front.
 * @throws Error with ffmpeg's stderr when it exits non-zero.
 */
export function ffmpeg(args: string[]): void {
  const res = spawnSync(resolveFfmpeg(), ['-y', '-hide_banner', '-loglevel', 'error', ...args], {
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    throw new Error(`ffmpeg ${args.join(' ')} failed (${res.status}): ${res.error?.message ?? res.stderr}`);
  }
}

/** The bad (and two good) inputs of the CLI batch test; every path is inside the temp folder. */
export interface BadInputs {
  /** A path that does not exist. */
  missing: string;
  /** 0 bytes, `.wav`. */
  empty: string;
  /** Plain text renamed `.wav`. */
  textAsWav: string;
  /** A 10 s 16 kHz mono WAV (speech) cut to 30 % of its bytes; its header still says 10 s. */
  truncated: string;
  /** 64 KiB of seeded random bytes named `.mp3`. */
  garbageMp3: string;
  /** A WAV header with a 0-byte data chunk. */
  zeroSamples: string;
  /** 3 s, 6 channels, 16 kHz. */
  sixChannels: string;
  /** A real speech recording resampled to 8 kHz mono: valid, must be analysed (narrowband). */
  narrowband8k: string;
}

/**
 * Generates the bad-input files into `dir` (ffmpeg for the speech-derived ones, a WAV writer and
 * plain bytes for the rest).
 * @param speechWav a real 16 kHz mono speech recording of at least 10 s (e.g. a dev file).
 */
export async function makeBadInputs(dir: string, speechWav: string): Promise<BadInputs> {
  const p = (name: string): string => join(dir, name);
  const inputs: BadInputs = {
    missing: p('does-not-exist.wav'),
    empty: p('empty.wav'),
    textAsWav: p('notes.wav'),
    truncated: p('truncated.wav'),
    garbageMp3: p('garbage.mp3'),
    zeroSamples: p('zero-samples.wav'),
    sixChannels: p('six-channels.wav'),
    narrowband8k: p('narrowband-8k.wav'),
  };
  await writeFile(inputs.empty, Buffer.alloc(0));
  await writeFile(inputs.textAsWav, 'Meeting notes\nThis is a text file, not audio.\n'.repeat(40));

  const full = p('full-10s.wav');
  ffmpeg(['-i', speechWav, '-t', '10', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', full]);
  const bytes = await readFile(full);
  await writeFile(inputs.truncated, bytes.subarray(0, Math.floor(bytes.length * 0.3)));

  const rnd = seededRandom(1234);
  await writeFile(
    inputs.garbageMp3,
    Buffer.from(Uint8Array.from({ length: 64 * 1024 }, () => Math.floor(rnd() * 256))),
  );
  await writeWav(inputs.zeroSamples, [new Float32Array(0)], 16_000);
  await writeWav(
    inputs.sixChannels,
    Array.from({ length: 6 }, (_, c) => sine(200 + 100 * c, 0.2, 3)),
    16_000,
  );
  ffmpeg(['-i', speechWav, '-ac', '1', '-ar', '8000', '-c:a', 'pcm_s16le', inputs.narrowband8k]);
  return inputs;
}
