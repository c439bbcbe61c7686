/**
 * Renderer capture wire format ("This computer (browser capture)"): the renderer captures the
 * microphone (`getUserMedia`) and the system output (`getDisplayMedia` loopback), resamples both to
 * 16 kHz mono in an AudioWorklet and sends synchronised two-channel frames to the engine — binary
 * messages on the web host's `/capture` WebSocket, or structured-clone messages on a MessagePort
 * handed to the Electron engine process. Control messages (a track ended, the capture ended) travel
 * on the same stream as JSON. Defined once here; the renderer encodes, the engine decodes and
 * validates (src-main/capture/renderer-source.ts). Pure TypeScript (no DOM, no Node).
 *
 * Binary frame layout (little-endian), {@link FRAME_HEADER_BYTES} header then planar samples:
 * | offset | type    | field                                                             |
 * | ------ | ------- | ----------------------------------------------------------------- |
 * | 0      | u32     | magic {@link FRAME_MAGIC} ("CSF1")                                |
 * | 4      | u32     | sample rate, Hz (must be {@link RENDERER_CAPTURE_RATE})           |
 * | 8      | u32     | sequence number (0, 1, 2, … without gaps on a reliable transport) |
 * | 12     | u16     | channels (must be 2: mic, system)                                 |
 * | 14     | u16     | flags: bit 0 mic track live, bit 1 system track live              |
 * | 16     | f64     | t0: audio-clock time of the first sample, seconds                 |
 * | 24     | u32     | samples per channel n (1 … {@link MAX_FRAME_SAMPLES})             |
 * | 28     | u32     | reserved (0)                                                      |
 * | 32     | f32[n]  | microphone samples, [-1, 1]                                       |
 * | 32+4n  | f32[n]  | system samples, [-1, 1]                                           |
 */
import { ENGINE_SAMPLE_RATE } from './audio.ts';

/** "CSF1" as a little-endian u32. */
export const FRAME_MAGIC = 0x31465343;
/** Bytes before the samples. */
export const FRAME_HEADER_BYTES = 32;
/** The only accepted sample rate of renderer frames, Hz (the engine's capture rate). */
export const RENDERER_CAPTURE_RATE = ENGINE_SAMPLE_RATE;
/** Samples per channel the worklet puts in one frame (32 ms at 16 kHz; one Silero VAD frame). */
export const RENDERER_FRAME_SAMPLES = 512;
/** Largest accepted frame, samples per channel (1 s). */
export const MAX_FRAME_SAMPLES = ENGINE_SAMPLE_RATE;
/** Flag bits of a frame. */
export const FRAME_FLAG = { micLive: 1, systemLive: 2 } as const;

/** WebSocket path of the web host's capture stream (same token, host and origin checks as `/rpc`). */
export const CAPTURE_WS_PATH = '/capture';
/** Query parameter naming the live session a capture stream feeds. */
export const CAPTURE_SESSION_PARAM = 'session';
/** Electron: `window.postMessage` type the preload forwards (with its one MessagePort) to main. */
export const CAPTURE_PORT_MESSAGE = 'callscope:capture-port';
/** Electron: the IPC channel the preload posts the capture MessagePort on (not an RPC channel). */
export const CAPTURE_PORT_CHANNEL = 'callscope:capture-port';

/** One decoded renderer frame: both channels, same length, same clock. */
export interface RendererFrame {
  sampleRate: number;
  seq: number;
  /** Audio-clock time of the first sample, seconds. */
  t0: number;
  micLive: boolean;
  systemLive: boolean;
  /** Microphone samples (16 kHz mono). */
  mic: Float32Array;
  /** System-output samples (16 kHz mono), same length as `mic`. */
  system: Float32Array;
}

/** A frame that does not follow the wire format; `message` names the problem. */
export class CaptureFrameError extends Error {
  constructor(message: string) {
    super(`renderer capture frame rejected: ${message}`);
    this.name = 'CaptureFrameError';
  }
}

/**
 * Encodes one frame (renderer side).
 * @returns a fresh ArrayBuffer of 32 + 8 n bytes, transferable.
 * @throws CaptureFrameError when the channels differ in length or are empty/too long.
 */
export function encodeCaptureFrame(f: RendererFrame): ArrayBuffer {
  const n = f.mic.length;
  if (n === 0 || n > MAX_FRAME_SAMPLES || f.system.length !== n)
    throw new CaptureFrameError(`channels of ${n} and ${f.system.length} samples`);
  const buf = new ArrayBuffer(FRAME_HEADER_BYTES + 8 * n);
  const v = new DataView(buf);
  v.setUint32(0, FRAME_MAGIC, true);
  v.setUint32(4, f.sampleRate, true);
  v.setUint32(8, f.seq, true);
  v.setUint16(12, 2, true);
  v.setUint16(14, (f.micLive ? FRAME_FLAG.micLive : 0) | (f.systemLive ? FRAME_FLAG.systemLive : 0), true);
  v.setFloat64(16, f.t0, true);
  v.setUint32(24, n, true);
  new Float32Array(buf, FRAME_HEADER_BYTES, n).set(f.mic);
  new Float32Array(buf, FRAME_HEADER_BYTES + 4 * n, n).set(f.system);
  return buf;
}

/**
 * Decodes and validates one frame (engine side).
 * @param data the message bytes (ArrayBuffer or any view of them).
 * @throws CaptureFrameError for a short message, a wrong magic, a sample rate other than
 *   {@link RENDERER_CAPTURE_RATE}, a channel count other than 2, a length that does not match the
 *   header, or non-finite samples.
 */
export function decodeCaptureFrame(data: ArrayBuffer | ArrayBufferView): RendererFrame {
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength < FRAME_HEADER_BYTES)
    throw new CaptureFrameError(
      `${bytes.byteLength} bytes, shorter than the ${FRAME_HEADER_BYTES}-byte header`,
    );
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== FRAME_MAGIC) throw new CaptureFrameError('bad magic (not a Callscope frame)');
  const sampleRate = v.getUint32(4, true);
  if (sampleRate !== RENDERER_CAPTURE_RATE)
    throw new CaptureFrameError(
      `sample rate ${sampleRate} Hz, expected ${RENDERER_CAPTURE_RATE} Hz (resample before sending)`,
    );
  const channels = v.getUint16(12, true);
  if (channels !== 2) throw new CaptureFrameError(`${channels} channel(s), expected 2 (mic, system)`);
  const n = v.getUint32(24, true);
  if (n < 1 || n > MAX_FRAME_SAMPLES)
    throw new CaptureFrameError(`${n} samples per channel, expected 1 … ${MAX_FRAME_SAMPLES}`);
  const expected = FRAME_HEADER_BYTES + 8 * n;
  if (bytes.byteLength !== expected)
    throw new CaptureFrameError(
      `${bytes.byteLength} bytes for ${n} samples per channel, expected ${expected}`,
    );
  const t0 = v.getFloat64(16, true);
  if (!Number.isFinite(t0) || t0 < 0) throw new CaptureFrameError(`timestamp ${t0} is not a time`);
  // copy out: the view may be unaligned, and the caller's buffer may be reused
  const copy = bytes.slice(FRAME_HEADER_BYTES).buffer;
  const mic = new Float32Array(copy, 0, n);
  const system = new Float32Array(copy, 4 * n, n);
  for (const [name, x] of [
    ['mic', mic],
    ['system', system],
  ] as const) {
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(x[i])) throw new CaptureFrameError(`non-finite ${name} sample at ${i}`);
  }
  const flags = v.getUint16(14, true);
  return {
    sampleRate,
    seq: v.getUint32(8, true),
    t0,
    micLive: (flags & FRAME_FLAG.micLive) !== 0,
    systemLive: (flags & FRAME_FLAG.systemLive) !== 0,
    mic,
    system,
  };
}

/**
 * Control messages of a capture stream (JSON text on the WebSocket, objects on a MessagePort);
 * validated by the engine on receipt. `lost`: a track ended in the renderer (device unplugged,
 * sharing stopped, permission revoked) — the session goes on with the other one. `end`: the
 * renderer stopped capturing (user stop, page closing).
 */
export type CaptureControl =
  { type: 'lost'; channel: 'mic' | 'system'; message: string } | { type: 'end'; message: string };
