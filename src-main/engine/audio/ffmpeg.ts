/**
 * ffmpeg resolution, probing and streaming decode to float32 at 16 kHz with channels kept.
 *
 * Decoding streams: the caller pulls fixed-size blocks, so a 60-minute file never sits in memory.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

import { ENGINE_SAMPLE_RATE } from '../../../src-shared/contracts/audio.ts';

/** Sample rate the whole engine works at, Hz (defined once in src-shared/contracts/audio.ts). */
export { ENGINE_SAMPLE_RATE };

/** An input problem that names the file and the cause; shown to users as one line. */
export class AudioInputError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'AudioInputError';
  }
}

/**
 * Resolves the ffmpeg binary: env `CALLSCOPE_FFMPEG` → the `ffmpeg-static` package's binary if it
 * is installed and present → `ffmpeg` on PATH.
 * @returns an absolute path or the bare command name `ffmpeg`.
 */
export function resolveFfmpeg(): string {
  const fromEnv = process.env.CALLSCOPE_FFMPEG;
  if (fromEnv) return fromEnv;
  try {
    const require = createRequire(import.meta.url);
    const staticPath = require('ffmpeg-static') as string | null;
    if (staticPath && existsSync(staticPath)) return staticPath;
  } catch {
    // ffmpeg-static is optional (its binary download fails offline)
  }
  return 'ffmpeg';
}

/** What ffmpeg reports about the first audio stream of a file. */
export interface AudioProbe {
  /** Duration in seconds, or null when the container does not say. */
  durationS: number | null;
  sampleRate: number;
  channels: number;
  codec: string;
  /**
   * A WAV whose data-chunk length is the streaming placeholder 0xFFFFFFFF while the file holds far
   * less: the seconds the header's length would mean and the seconds the file holds (from the
   * fmt chunk's byte rate). Analysis goes on with what is there and warns. Absent otherwise.
   */
  headerLength?: { headerS: number; fileS: number };
}

/** Runs ffmpeg and collects stderr/stdout; resolves with the exit code. */
function runFfmpeg(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(resolveFfmpeg(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => {
      if (stderr.length < 64_000) stderr += d;
    });
    proc.on('error', (err) =>
      reject(new Error(`cannot run ffmpeg (${err.message}); install ffmpeg or set CALLSCOPE_FFMPEG`)),
    );
    proc.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

const LAYOUT_CHANNELS: Record<string, number> = {
  mono: 1,
  stereo: 2,
  '2.1': 3,
  '3.0': 3,
  quad: 4,
  '4.0': 4,
  '5.0': 5,
  '5.0(side)': 5,
  '5.1': 6,
  '5.1(side)': 6,
  '6.1': 7,
  '6.0': 6,
  '6.0(front)': 6,
  hexagonal: 6,
  '6.1(back)': 7,
  '6.1(front)': 7,
  '7.0': 7,
  '7.0(front)': 7,
  '7.1': 8,
  '7.1(wide)': 8,
  '7.1(wide-side)': 8,
  octagonal: 8,
  downmix: 2,
};

/** What a RIFF/WAVE header says about its audio data, from {@link wavDataSizes}. */
export interface WavDataSizes {
  /** Bytes of audio the data chunk's length field declares. */
  declared: number;
  /** Bytes of the data chunk present in the file. */
  present: number;
  /** Bytes per second from the fmt chunk (0 when there is no readable fmt chunk before the data). */
  byteRate: number;
  /**
   * The length field is 0xFFFFFFFF, the placeholder of a writer that could not seek back (a
   * stream, or a recording that was cut off before the header was completed).
   */
  placeholder: boolean;
}

/**
 * For RIFF/WAVE files: how many bytes of audio the header declares and how many the file holds.
 * Returns null for other files, a zero-length data field or unreadable headers.
 * ffmpeg estimates a truncated WAV's duration from its size, so truncation must be checked here.
 */
export function wavDataSizes(file: string): WavDataSizes | null {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(12);
    if (
      readSync(fd, head, 0, 12, 0) < 12 ||
      head.toString('ascii', 0, 4) !== 'RIFF' ||
      head.toString('ascii', 8, 12) !== 'WAVE'
    ) {
      return null;
    }
    const size = statSync(file).size;
    let pos = 12;
    let byteRate = 0;
    const chunk = Buffer.alloc(20);
    while (pos + 8 <= size) {
      readSync(fd, chunk, 0, 20, pos);
      const id = chunk.toString('ascii', 0, 4);
      const len = chunk.readUInt32LE(4);
      // fmt: format u16, channels u16, sample rate u32, byte rate u32 (RIFF WAVE, Microsoft 1991)
      if (id === 'fmt ' && len >= 12) byteRate = chunk.readUInt32LE(16);
      if (id === 'data') {
        if (len === 0) return null;
        return {
          declared: len,
          present: Math.max(0, size - pos - 8),
          byteRate,
          placeholder: len === 0xffffffff,
        };
      }
      pos += 8 + len + (len % 2);
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Parses `ffmpeg -i` stderr for the first audio stream. Exported for tests. */
export function parseProbe(stderr: string): AudioProbe | null {
  const stream = /Stream #\d+:\d+[^:]*: Audio: ([^,\s]+)[^,]*, (\d+) Hz, ([^,]+)/.exec(stderr);
  if (!stream) return null;
  const layout = stream[3].trim();
  const nCh = /^(\d+) channels?/.exec(layout);
  const channels = nCh ? Number(nCh[1]) : (LAYOUT_CHANNELS[layout] ?? NaN);
  const dur = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
  const durationS = dur ? Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) : null;
  return { codec: stream[1], sampleRate: Number(stream[2]), channels, durationS };
}

/**
 * Probes a file with ffmpeg.
 * @throws AudioInputError for a missing, empty, non-audio or unreadable file.
 */
export async function probeAudio(file: string): Promise<AudioProbe> {
  if (!existsSync(file)) throw new AudioInputError(file, 'file not found');
  const st = statSync(file);
  if (st.isDirectory()) throw new AudioInputError(file, 'is a directory, not an audio file');
  if (st.size === 0) throw new AudioInputError(file, 'file is empty (0 bytes)');
  const { stderr } = await runFfmpeg(['-hide_banner', '-nostdin', '-i', file]);
  const probe = parseProbe(stderr);
  if (!probe) {
    if (
      /Invalid data found|Invalid argument|misdetection possible|could not find codec parameters|moov atom not found/i.test(
        stderr,
      )
    ) {
      throw new AudioInputError(file, 'not a readable audio file (corrupt or unknown format)');
    }
    throw new AudioInputError(file, 'no audio stream found');
  }
  const wav = wavDataSizes(file);
  const secondsOf = (bytes: number): string =>
    wav?.byteRate ? `${(bytes / wav.byteRate).toFixed(1)} s` : '';
  if (wav && !wav.placeholder && wav.present < wav.declared) {
    const pct = ((100 * wav.present) / wav.declared).toFixed(0);
    const secs = wav.byteRate
      ? `header says ${secondsOf(wav.declared)}, file holds ${secondsOf(wav.present)}; `
      : '';
    throw new AudioInputError(
      file,
      `truncated WAV: ${secs}the header declares ${wav.declared} bytes of audio, the file holds ${wav.present} (${pct} %)`,
    );
  }
  if (!Number.isFinite(probe.channels) || probe.channels < 1) {
    throw new AudioInputError(file, `unsupported channel layout in stream (${probe.codec})`);
  }
  // a placeholder length more than 10 % (and 1 s) above what is there: analysed, with a warning
  if (
    wav?.placeholder &&
    wav.byteRate > 0 &&
    wav.declared - wav.present > Math.max(wav.byteRate, 0.1 * wav.present)
  )
    probe.headerLength = { headerS: wav.declared / wav.byteRate, fileS: wav.present / wav.byteRate };
  return probe;
}

/** Options of {@link decodeStream}. */
export interface DecodeOptions {
  /** Output channels: `keep` = as in the file, `mono` = down-mix. */
  channels: 'keep' | 'mono';
  /** Samples per channel per yielded block (default 16 000 = 1 s). */
  blockSamples?: number;
}

/** One decoded block: one Float32Array per channel, samples in [-1, 1] at 16 kHz. */
export type AudioBlock = Float32Array[];

/**
 * Decodes a file through ffmpeg to float32 16 kHz and yields blocks of `blockSamples` samples
 * per channel (the last block may be shorter). Memory is bounded by the block size.
 * @throws AudioInputError when ffmpeg fails to decode (e.g. truncated or corrupt data).
 */
export async function* decodeStream(
  file: string,
  probe: AudioProbe,
  opts: DecodeOptions,
): AsyncGenerator<AudioBlock> {
  const nCh = opts.channels === 'mono' ? 1 : probe.channels;
  const block = opts.blockSamples ?? ENGINE_SAMPLE_RATE;
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-vn', '-map', '0:a:0'];
  args.push(
    '-ac',
    String(nCh),
    '-ar',
    String(ENGINE_SAMPLE_RATE),
    '-f',
    'f32le',
    '-acodec',
    'pcm_f32le',
    'pipe:1',
  );
  const proc = spawn(resolveFfmpeg(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => {
    if (stderr.length < 16_000) stderr += d;
  });
  const exited = new Promise<number>((resolve) => proc.on('close', (code) => resolve(code ?? -1)));

  const frameBytes = 4 * nCh;
  const blockBytes = block * frameBytes;
  let pending: Buffer = Buffer.alloc(0);
  const emit = (buf: Buffer): AudioBlock => {
    const n = Math.floor(buf.length / frameBytes);
    const out = Array.from({ length: nCh }, () => new Float32Array(n));
    for (let i = 0, o = 0; i < n; i++) {
      for (let c = 0; c < nCh; c++, o += 4) out[c][i] = buf.readFloatLE(o);
    }
    return out;
  };
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= blockBytes) {
        yield emit(pending.subarray(0, blockBytes));
        pending = pending.subarray(blockBytes);
      }
    }
    const code = await exited;
    if (code !== 0) {
      const msg = stderr.trim().split('\n').pop() ?? `ffmpeg exit code ${code}`;
      throw new AudioInputError(file, `decoding failed: ${msg}`);
    }
    if (pending.length >= frameBytes) yield emit(pending);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
}

/**
 * Pearson correlation of the first two channels over the given blocks, in [−1, 1]; 1 when both
 * are digital silence, 0 when only one is. Calls record mic and system on separate channels, so
 * their correlation is low; a room recording saved as stereo ("dual mono") is close to 1.
 */
export function channelCorrelation(blocks: AudioBlock[]): number {
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  let n = 0;
  for (const [a, b] of blocks) {
    for (let i = 0; i < a.length; i++) {
      sa += a[i];
      sb += b[i];
      saa += a[i] * a[i];
      sbb += b[i] * b[i];
      sab += a[i] * b[i];
    }
    n += a.length;
  }
  if (n === 0) return 0;
  const cov = sab / n - (sa / n) * (sb / n);
  const va = saa / n - (sa / n) ** 2;
  const vb = sbb / n - (sb / n) ** 2;
  if (va <= 1e-12 || vb <= 1e-12) return va <= 1e-12 && vb <= 1e-12 ? 1 : 0;
  return cov / Math.sqrt(va * vb);
}

/** Averages the channels of a block into one (the down-mix ffmpeg's `-ac 1` applies to stereo). */
export function downmixBlock(block: AudioBlock): AudioBlock {
  if (block.length === 1) return block;
  const out = new Float32Array(block[0].length);
  for (const ch of block) for (let i = 0; i < out.length; i++) out[i] += ch[i];
  for (let i = 0; i < out.length; i++) out[i] /= block.length;
  return [out];
}
