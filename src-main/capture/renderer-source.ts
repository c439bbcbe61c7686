/**
 * The renderer capture source ("This computer (browser capture)"): the renderer captures the
 * microphone and the system output, resamples both to 16 kHz in an AudioWorklet and sends
 * synchronised two-channel frames (src-shared/contracts/capture.ts) over a transport — the web
 * host's `/capture` WebSocket or a MessagePort in the Electron engine process. Transport adapters
 * call {@link RendererCaptureSource.pushFrame}, {@link RendererCaptureSource.pushControl} and
 * {@link RendererCaptureSource.disconnect}; the session reads the usual {@link CaptureItem}s.
 *
 * Device problems are reported the way the ffmpeg source reports them (ffmpeg-source.ts): a track
 * that was not obtained, or ends (control `lost`, or a frame whose live flag drops), becomes a
 * `lost` device event and its channel is filled with zeros while the other goes on; both lost, or
 * the transport closing, ends the source with `ended` after the frames already received, so
 * nothing found is lost. A malformed frame (wrong sample rate, bad length, non-finite samples,
 * sequence going backwards) is refused with a clear error: the stream is closed with that message
 * and the source ends cleanly.
 */
import { z } from 'zod';

import {
  type CaptureControl,
  CaptureFrameError,
  decodeCaptureFrame,
  RENDERER_CAPTURE_RATE,
} from '../../src-shared/contracts/capture.ts';
import type { CaptureItem, CaptureSource } from '../engine/audio/capture-frames.ts';
import { FrameAssembler, ItemQueue } from './source.ts';

/** Control messages as validated on receipt (the type is defined once in the contract). */
export const CaptureControlSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('lost'), channel: z.enum(['mic', 'system']), message: z.string().max(1000) }),
  z.object({ type: z.literal('end'), message: z.string().max(1000) }),
]) satisfies z.ZodType<CaptureControl>;

/** Longest gap filled with silence when sequence numbers jump (frames lost), seconds. */
const MAX_GAP_S = 5;

/** Options of {@link RendererCaptureSource}. */
export interface RendererSourceOptions {
  /** Whether the renderer obtained the microphone track. */
  mic: boolean;
  /** Whether the renderer obtained the system-output track. */
  system: boolean;
  /** Why the mic is missing (reported in the `lost` event), when `mic` is false. */
  micProblem?: string;
  /** Why the system audio is missing (reported in the `lost` event), when `system` is false. */
  systemProblem?: string;
  /** Seconds to wait for the renderer's stream to connect before ending (default 20). */
  connectTimeoutS?: number;
  /** Seconds without frames after which a `stalled` event is raised (default 2). */
  stallS?: number;
}

/** Live frames from the renderer behind the capture interface. */
export class RendererCaptureSource implements CaptureSource {
  readonly description: string;
  private readonly queue = new ItemQueue();
  private readonly asm = new FrameAssembler();
  private nextSeq = 0;
  private lastT0: number | null = null;
  private connected = false;
  private ended = false;
  private lastData = performance.now();
  private closeTransport: ((reason: string, error: boolean) => void) | null = null;
  private readonly timers: ReturnType<typeof setInterval>[] = [];

  /** @throws Error when neither track was obtained. */
  constructor(private readonly opts: RendererSourceOptions) {
    if (!opts.mic && !opts.system)
      throw new Error(
        `browser capture has no track: ${opts.micProblem ?? 'no microphone'}; ${opts.systemProblem ?? 'no system audio'}`,
      );
    const what = [opts.mic && 'microphone', opts.system && 'system audio'].filter(Boolean).join(' + ');
    this.description = `browser capture: ${what}`;
    if (!opts.mic) this.lose(0, opts.micProblem ?? 'no microphone track');
    if (!opts.system) this.lose(1, opts.systemProblem ?? 'no system-audio track');
    const connectMs = (opts.connectTimeoutS ?? 20) * 1000;
    const stallMs = (opts.stallS ?? 2) * 1000;
    const t0 = performance.now();
    let stalled = false;
    this.timers.push(
      setInterval(() => {
        const now = performance.now();
        if (!this.connected) {
          if (now - t0 > connectMs)
            this.end(`the browser capture did not connect within ${connectMs / 1000} s`);
          return;
        }
        const quiet = now - this.lastData > stallMs;
        if (quiet && !stalled)
          this.queue.push({
            type: 'device',
            channel: null,
            state: 'stalled',
            message: `no audio from the browser capture for ${stallMs / 1000} s`,
          });
        stalled = quiet;
      }, 250),
    );
  }

  /** Whether a transport is attached (a second one is refused). */
  get isConnected(): boolean {
    return this.connected;
  }

  /** Whether the source has ended (no transport may attach any more). */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Attaches a transport.
   * @param close called (once) when the source ends, with the reason and whether it is an error
   *   (a refused frame or message: the transport closes with an error status).
   * @throws Error when a transport is already attached or the source has ended.
   */
  connect(close: (reason: string, error: boolean) => void): void {
    if (this.ended) throw new Error('this capture has ended');
    if (this.connected) throw new Error('a capture stream is already connected to this session');
    this.connected = true;
    this.lastData = performance.now();
    this.closeTransport = close;
  }

  /**
   * One binary frame from the transport.
   * @throws CaptureFrameError (after ending the source and closing the transport with that message)
   *   for a frame that does not follow the wire format, has another sample rate than 16 kHz, or
   *   a sequence number that goes backwards.
   */
  pushFrame(data: ArrayBuffer | ArrayBufferView): void {
    if (this.ended) return;
    let f;
    try {
      f = decodeCaptureFrame(data);
      if (f.seq < this.nextSeq)
        throw new CaptureFrameError(`sequence ${f.seq} after ${this.nextSeq - 1} (out of order or repeated)`);
    } catch (err) {
      this.end(err instanceof Error ? err.message : String(err), true);
      throw err;
    }
    this.lastData = performance.now();
    if (f.seq > this.nextSeq && this.lastT0 !== null) {
      // frames went missing: keep both channels on the clock with silence
      const gap = Math.min(MAX_GAP_S, Math.max(0, f.t0 - this.lastT0 - f.mic.length / RENDERER_CAPTURE_RATE));
      const fill = new Float32Array(Math.round(gap * RENDERER_CAPTURE_RATE));
      this.asm.push(0, fill);
      this.asm.push(1, fill);
    }
    this.nextSeq = f.seq + 1;
    this.lastT0 = f.t0;
    if (!f.micLive) this.lose(0, 'the microphone track ended');
    if (!f.systemLive) this.lose(1, 'the system-audio track ended');
    if (this.ended) return;
    this.asm.push(0, f.mic);
    this.asm.push(1, f.system);
    this.queue.push(...this.asm.drain(this.lastData));
  }

  /**
   * One control message from the transport (parsed JSON or a structured-clone object).
   * @throws Error (after ending the source) for a message that is not a {@link CaptureControl}.
   */
  pushControl(msg: unknown): void {
    if (this.ended) return;
    const parsed = CaptureControlSchema.safeParse(msg);
    if (!parsed.success) {
      const why = `renderer capture control message rejected: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
      this.end(why, true);
      throw new Error(why);
    }
    const c = parsed.data;
    if (c.type === 'lost') this.lose(c.channel === 'mic' ? 0 : 1, c.message);
    else this.end(c.message || 'browser capture stopped');
  }

  /** The transport went away (socket closed, port closed): ends after the frames received. */
  disconnect(reason = 'the browser capture disconnected'): void {
    this.closeTransport = null;
    this.end(reason);
  }

  async *items(): AsyncGenerator<CaptureItem> {
    try {
      yield* this.queue;
    } finally {
      this.end('capture stopped');
    }
  }

  stop(): Promise<void> {
    this.end('capture stopped');
    return Promise.resolve();
  }

  /** Marks a channel lost (once), reports it, and ends when both are gone. */
  private lose(c: 0 | 1, message: string): void {
    if (this.asm.isLost(c) || this.ended) return;
    this.asm.markLost(c);
    this.queue.push({ type: 'device', channel: c === 0 ? 'mic' : 'system', state: 'lost', message });
    this.queue.push(...this.asm.drain(performance.now()));
    if (this.asm.isLost(0) && this.asm.isLost(1)) this.end('both capture tracks ended');
  }

  /** Flushes, reports `ended`, closes the queue and the transport. Idempotent. */
  private end(message: string, error = false): void {
    if (this.ended) return;
    this.ended = true;
    this.timers.forEach((t) => clearInterval(t));
    this.queue.push(...this.asm.flush(performance.now()));
    this.queue.push({ type: 'device', channel: null, state: 'ended', message });
    this.queue.close();
    const close = this.closeTransport;
    this.closeTransport = null;
    close?.(message, error);
  }
}

/**
 * The renderer capture sources of running live sessions, by session id, so that a transport
 * (web host WebSocket, Electron MessagePort) can find the one it feeds.
 */
export class RendererCaptureHub {
  private readonly sources = new Map<string, RendererCaptureSource>();

  /** Registers a source for a session; it is forgotten once it has ended. */
  register(sessionId: string, source: RendererCaptureSource): void {
    this.sources.set(sessionId, source);
  }

  /** Forgets a session's source. */
  remove(sessionId: string): void {
    this.sources.delete(sessionId);
  }

  /** The source a new stream may attach to, or null (unknown session, ended, already attached). */
  available(sessionId: string): RendererCaptureSource | null {
    const s = this.sources.get(sessionId);
    return s && !s.isEnded && !s.isConnected ? s : null;
  }
}

/** The parts of a message port the capture needs (Electron `MessagePortMain`, Node `MessagePort`). */
export interface CapturePortLike {
  /** Registers the receiver of each message's data. */
  onMessage(cb: (data: unknown) => void): void;
  /** Registers a callback for the other end going away. */
  onClose(cb: () => void): void;
  close(): void;
}

/**
 * Feeds a capture source from a message port (the desktop app: the renderer's MessagePort handed
 * to the engine process): ArrayBuffers and typed arrays are frames, other messages control; a
 * refused message or the source ending closes the port, the port closing ends the source.
 */
export function feedFromPort(source: RendererCaptureSource, port: CapturePortLike): void {
  source.connect(() => port.close());
  port.onMessage((data) => {
    try {
      if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) source.pushFrame(data);
      else source.pushControl(data);
    } catch {
      // the source has ended (with the reason as its `ended` event) and closed the port
    }
  });
  port.onClose(() => source.disconnect());
}
