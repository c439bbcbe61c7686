/**
 * Live capture through one ffmpeg process (see ffmpeg-args.ts): both channels are read from
 * their pipes, re-assembled into synchronised 32 ms frames, and device problems become events. A
 * channel whose pipe ends while the other goes on is reported `lost` and filled with zeros; when
 * the process exits the source reports `ended` after the last frames, so nothing captured is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

import { resolveFfmpeg } from '../engine/audio/ffmpeg.ts';
import { captureArgs, type FfmpegCaptureKind, MIC_FD, SYSTEM_FD } from './ffmpeg-args.ts';
import type { CaptureItem, CaptureSource } from '../engine/audio/capture-frames.ts';
import { FrameAssembler, ItemQueue } from './source.ts';

/** Options of {@link FfmpegCaptureSource}. */
export interface FfmpegCaptureOptions {
  kind: FfmpegCaptureKind;
  mic: string;
  /** null: the platform has no system-audio device (the channel stays silent, reported lost). */
  system: string | null;
  /** Seconds without any samples after which a `stalled` event is raised (default 2). */
  stallS?: number;
  /**
   * Polled every second: whether each device still exists. Needed because a sound server may
   * move the stream of a removed device to another one (PulseAudio moves it to the default
   * source, i.e. the mic) instead of ending it: such a channel is reported `lost` and silenced.
   */
  present?: () => Promise<{ mic: boolean; system: boolean }>;
}

/** Float32 little-endian bytes → samples, keeping a remainder of < 4 bytes. */
class F32Reader {
  private rest = Buffer.alloc(0);
  read(chunk: Buffer): Float32Array {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const n = Math.floor(buf.length / 4);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(i * 4);
    this.rest = Buffer.from(buf.subarray(n * 4));
    return out;
  }
}

/** ffmpeg device capture (PulseAudio/PipeWire on Linux; avfoundation, dshow argument builders). */
export class FfmpegCaptureSource implements CaptureSource {
  readonly description: string;
  private proc: ChildProcess | null = null;
  private stopping = false;

  constructor(private readonly opts: FfmpegCaptureOptions) {
    this.description = `${opts.kind}: mic=${opts.mic} system=${opts.system ?? '(none)'}`;
  }

  async *items(): AsyncGenerator<CaptureItem> {
    const { kind, mic, system } = this.opts;
    const queue = new ItemQueue();
    const asm = new FrameAssembler();
    const proc = spawn(resolveFfmpeg(), captureArgs(kind, mic, system), {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', system === null ? 'ignore' : 'pipe'],
    });
    this.proc = proc;
    let stderr = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    let lastData = performance.now();
    const open = new Set<0 | 1>();
    const attach = (c: 0 | 1, stream: Readable): void => {
      open.add(c);
      const reader = new F32Reader();
      stream.on('data', (chunk: Buffer) => {
        lastData = performance.now();
        asm.push(c, reader.read(chunk));
        queue.push(...asm.drain(lastData));
      });
      stream.on('close', () => {
        open.delete(c);
        if (open.size > 0 && !this.stopping) {
          const name = c === 0 ? mic : system;
          const what = c === 0 ? 'microphone' : 'system';
          markLost(
            c,
            `${what} device "${name}" stopped delivering audio: ${lastLine(stderr) || 'stream closed'}`,
          );
        }
      });
    };
    attach(0, proc.stdio[MIC_FD] as Readable);
    if (system !== null) attach(1, proc.stdio[SYSTEM_FD] as Readable);
    else asm.markLost(1);
    const stallMs = (this.opts.stallS ?? 2) * 1000;
    let stalled = false;
    const watchdog = setInterval(() => {
      const quiet = performance.now() - lastData > stallMs;
      if (quiet && !stalled) {
        queue.push({
          type: 'device',
          channel: null,
          state: 'stalled',
          message: `no audio for ${stallMs / 1000} s`,
        });
      }
      stalled = quiet;
    }, 250);
    const markLost = (c: 0 | 1, why: string): void => {
      if (asm.isLost(c)) return;
      asm.markLost(c);
      queue.push({ type: 'device', channel: c === 0 ? 'mic' : 'system', state: 'lost', message: why });
      queue.push(...asm.drain(performance.now()));
      if (asm.isLost(0) && asm.isLost(1)) void this.stop();
    };
    let polling = false;
    const poll = this.opts.present
      ? setInterval(() => {
          if (polling || this.stopping) return;
          polling = true;
          this.opts.present!()
            .then((p) => {
              if (!p.mic) markLost(0, `microphone device "${mic}" disappeared`);
              if (!p.system && system !== null) markLost(1, `system device "${system}" disappeared`);
            })
            .catch(() => undefined) // the sound server itself going away ends ffmpeg too
            .finally(() => (polling = false));
        }, 1000)
      : null;
    proc.on('error', (err) => {
      queue.push({
        type: 'device',
        channel: null,
        state: 'ended',
        message: `cannot run ffmpeg: ${err.message}`,
      });
      queue.close();
    });
    proc.on('close', (code) => {
      clearInterval(watchdog);
      if (poll) clearInterval(poll);
      queue.push(...asm.flush(performance.now()));
      const why = this.stopping
        ? 'capture stopped'
        : `ffmpeg exited (${code}): ${lastLine(stderr) || 'no message'}`;
      queue.push({ type: 'device', channel: null, state: 'ended', message: why });
      queue.close();
    });
    try {
      yield* queue;
    } finally {
      clearInterval(watchdog);
      if (poll) clearInterval(poll);
      await this.stop();
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    this.stopping = true;
    const exited = new Promise<void>((r) => p.once('close', () => r()));
    p.kill('SIGINT'); // ffmpeg flushes its outputs on SIGINT
    const timer = setTimeout(() => p.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

const lastLine = (s: string): string => s.trim().split('\n').pop() ?? '';
