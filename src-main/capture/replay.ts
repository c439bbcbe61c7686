/**
 * Replay source: plays a stereo call recording (ch0 = mic, ch1 = system) or two mono recordings
 * [mic, system] as if they were captured live, paced in real time or `speed` times faster
 * (`Infinity` = as fast as the consumer goes), for demos, tests and benchmarks. The file is
 * decoded by ffmpeg in a stream, so long files do not sit in memory. When one of two files ends
 * first, its channel is reported `lost` and the other plays on; the source ends with `ended`.
 */
import { type AudioProbe, AudioInputError, decodeStream, probeAudio } from '../engine/audio/ffmpeg.ts';
import { type CaptureItem, type CaptureSource, FRAME_S } from '../engine/audio/capture-frames.ts';
import { FrameAssembler } from './source.ts';

/** Options of {@link ReplaySource}. */
export interface ReplayOptions {
  /** Playback speed, > 0; 1 = real time, `Infinity` = unpaced. */
  speed: number;
  /** Stop after this many seconds of audio (simulates a source that ends abruptly). */
  maxS?: number;
}

const BLOCK = 4096; // samples per decoded block (256 ms)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** File replay behind the capture interface. */
export class ReplaySource implements CaptureSource {
  readonly description: string;
  private stopped = false;

  /**
   * @param files one stereo file or two mono files [mic, system].
   * @throws Error for another number of files or a speed ≤ 0.
   */
  constructor(
    private readonly files: string[],
    private readonly opts: ReplayOptions = { speed: 1 },
  ) {
    if (files.length < 1 || files.length > 2)
      throw new Error('replay takes one stereo file or two files (mic, system)');
    if (!(opts.speed > 0)) throw new Error(`replay speed must be > 0, got ${opts.speed}`);
    this.description = `replay ${files.join(' + ')} at ${opts.speed === Infinity ? 'max' : opts.speed}×`;
  }

  async *items(): AsyncGenerator<CaptureItem> {
    const probes = await Promise.all(this.files.map((f) => probeAudio(f)));
    const streams = await this.openStreams(probes);
    const asm = new FrameAssembler();
    const t0 = performance.now();
    const maxFrames = this.opts.maxS !== undefined ? Math.floor(this.opts.maxS / FRAME_S) : Infinity;
    let frames = 0;
    const done = [false, false];
    try {
      while (!this.stopped && frames < maxFrames && !(done[0] && done[1])) {
        for (const c of [0, 1] as const) {
          if (done[c] || asm.buffered()[c] >= BLOCK) continue;
          const next = await streams[c].next();
          if (next.done) {
            done[c] = true;
            // the two channels of one stereo file end together
            if (this.files.length === 1) done[1 - c] = true;
            else if (!done[1 - c]) {
              asm.markLost(c);
              yield {
                type: 'device',
                channel: c ? 'system' : 'mic',
                state: 'lost',
                message: `${this.files[c]} ended`,
              };
            }
          } else asm.push(c, next.value[0]);
        }
        const ready = done[0] && done[1] ? asm.flush(performance.now()) : asm.drain(performance.now());
        for (const f of ready) {
          if (this.stopped || frames >= maxFrames) break;
          const due = t0 + ((f.index + 1) * FRAME_S * 1000) / this.opts.speed;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait);
          f.arrivedMs = performance.now();
          frames++;
          yield f;
        }
      }
    } finally {
      await Promise.all(streams.map((s) => s.return(undefined)));
    }
    yield {
      type: 'device',
      channel: null,
      state: 'ended',
      message: this.stopped ? 'replay stopped' : 'replay ended',
    };
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  /** One mono stream per channel: the two channels of a stereo file, or two files. */
  private async openStreams(probes: AudioProbe[]): Promise<AsyncGenerator<Float32Array[]>[]> {
    if (this.files.length === 2) {
      return this.files.map((f, i) => decodeStream(f, probes[i], { channels: 'mono', blockSamples: BLOCK }));
    }
    if (probes[0].channels !== 2) {
      throw new AudioInputError(
        this.files[0],
        `${probes[0].channels} channel(s): live replay needs a stereo file (mic, system) or two files`,
      );
    }
    // split one stereo decode into two channel streams that share it
    const src = decodeStream(this.files[0], probes[0], { channels: 'keep', blockSamples: BLOCK });
    const queues: Float32Array[][] = [[], []];
    let ended = false;
    const pull = async (c: 0 | 1): Promise<IteratorResult<Float32Array[]>> => {
      if (!queues[c].length && !ended) {
        const n = await src.next();
        if (n.done) ended = true;
        else n.value.forEach((x, k) => queues[k].push(x));
      }
      const v = queues[c].shift();
      return v ? { done: false, value: [v] } : { done: true, value: undefined };
    };
    const channelStream = (c: 0 | 1): AsyncGenerator<Float32Array[]> =>
      (async function* () {
        try {
          for (let r = await pull(c); !r.done; r = await pull(c)) yield r.value;
        } finally {
          if (c === 1) await src.return(undefined);
        }
      })();
    return [channelStream(0), channelStream(1)];
  }
}
