/**
 * The renderer capture source: frames from the renderer (wire format of
 * src-shared/contracts/capture.ts) become synchronised two-channel 16 kHz capture frames; a track
 * that ends is a `lost` device event and the session goes on with the other (frames already
 * received kept); malformed frames and wrong sample rates are refused with a clear error. One test
 * runs a real dev recording through the renderer's own worklet framing (48 kHz → 16 kHz) and a real
 * MessageChannel, and compares with ffmpeg's 16 kHz decode.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import {
  CaptureFrameError,
  decodeCaptureFrame,
  encodeCaptureFrame,
  FRAME_HEADER_BYTES,
  type RendererFrame,
} from '../../src-shared/contracts/capture.ts';
import { TwoTrackFramer } from '../../src-renderer/capture/framer.ts';
import { feedFromPort, RendererCaptureHub, RendererCaptureSource } from './renderer-source.ts';
import {
  type CaptureDeviceEvent,
  type CaptureFrame,
  type CaptureItem,
  FRAME_SAMPLES,
} from '../engine/audio/capture-frames.ts';

const STEREO = resolve(
  import.meta.dirname,
  '../../../shared/data/dev/stereo/aws_lca_auto_repairs_40_stereo.wav',
);

const ramp = (n: number, from: number, step = 1e-4): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => (from + i) * step);

/** A renderer frame of `n` samples per channel starting at sample `start` (mic ramp, system −ramp). */
function frame(seq: number, start: number, n: number, over: Partial<RendererFrame> = {}): RendererFrame {
  return {
    sampleRate: 16_000,
    seq,
    t0: 10 + start / 16_000,
    micLive: true,
    systemLive: true,
    mic: ramp(n, start),
    system: ramp(n, start, -1e-4),
    ...over,
  };
}

async function collect(source: RendererCaptureSource): Promise<CaptureItem[]> {
  const out: CaptureItem[] = [];
  for await (const it of source.items()) out.push(it);
  return out;
}
const framesOf = (items: CaptureItem[]): CaptureFrame[] =>
  items.filter((i): i is CaptureFrame => i.type === 'frame');
const eventsOf = (items: CaptureItem[]): CaptureDeviceEvent[] =>
  items.filter((i): i is CaptureDeviceEvent => i.type === 'device');

describe('RendererCaptureSource', () => {
  it('re-blocks 20 ms renderer frames into synchronised 512-sample two-channel frames in order', async () => {
    const src = new RendererCaptureSource({ mic: true, system: true });
    let closed: string | null = null;
    src.connect((r) => (closed = r));
    const items = collect(src);
    for (let k = 0; k < 10; k++) src.pushFrame(encodeCaptureFrame(frame(k, k * 320, 320)));
    src.disconnect('socket closed');
    const all = await items;
    const frames = framesOf(all);
    expect(frames).toHaveLength(7); // 3200 samples = 6 full frames + 128 zero-padded
    frames.forEach((f, i) => {
      expect(f.index).toBe(i);
      expect(f.t0).toBeCloseTo(i * 0.032, 9);
      expect(f.mic).toHaveLength(FRAME_SAMPLES);
    });
    expect(frames[1].mic[0]).toBeCloseTo(512e-4, 6);
    expect(frames[1].system[0]).toBeCloseTo(-512e-4, 6);
    expect(frames[6].mic[127]).toBeCloseTo(3199e-4, 6);
    expect(frames[6].mic[128]).toBe(0);
    const ev = eventsOf(all);
    expect(ev.at(-1)).toMatchObject({ channel: null, state: 'ended', message: 'socket closed' });
    expect(closed).toBeNull(); // the transport itself went away: nothing to close
  });

  it('a system track that ends is reported lost; the mic goes on and nothing received is lost', async () => {
    const src = new RendererCaptureSource({ mic: true, system: true });
    src.connect(() => undefined);
    const items = collect(src);
    src.pushFrame(encodeCaptureFrame(frame(0, 0, 512)));
    src.pushFrame(encodeCaptureFrame(frame(1, 512, 256)));
    src.pushControl({ type: 'lost', channel: 'system', message: 'system audio sharing stopped' });
    src.pushFrame(encodeCaptureFrame(frame(2, 768, 512, { systemLive: false })));
    src.pushFrame(encodeCaptureFrame(frame(3, 1280, 512, { systemLive: false })));
    src.pushControl({ type: 'end', message: 'user stopped' });
    const all = await items;
    const lostAt = all.findIndex((i) => i.type === 'device' && i.state === 'lost');
    expect(all[lostAt]).toMatchObject({ channel: 'system', message: 'system audio sharing stopped' });
    const frames = framesOf(all);
    expect(frames[0].system[511]).toBeCloseTo(-511e-4, 6); // before the loss: intact
    expect(all.indexOf(frames[0])).toBeLessThan(lostAt);
    // the half-filled system samples of frame 1 are dropped with the channel; mic continues
    const after = frames.slice(1);
    expect(after.every((f) => f.system.every((v) => v === 0))).toBe(true);
    const mic = frames.flatMap((f) => [...f.mic]);
    expect(mic.slice(0, 1792).every((v, i) => Math.abs(v - i * 1e-4) < 1e-6)).toBe(true);
    expect(eventsOf(all).at(-1)).toMatchObject({ state: 'ended', message: 'user stopped' });
  });

  it('a frame whose mic flag drops marks the mic lost; both tracks lost ends the source', async () => {
    const src = new RendererCaptureSource({ mic: true, system: true });
    let closed = '';
    src.connect((r) => (closed = r));
    const items = collect(src);
    src.pushFrame(encodeCaptureFrame(frame(0, 0, 512, { micLive: false })));
    src.pushControl({ type: 'lost', channel: 'system', message: 'output device removed' });
    const ev = eventsOf(await items);
    expect(ev.map((e) => [e.channel, e.state])).toEqual([
      ['mic', 'lost'],
      ['system', 'lost'],
      [null, 'ended'],
    ]);
    expect(ev[0].message).toMatch(/microphone track ended/);
    expect(closed).toBe('both capture tracks ended');
  });

  it('a track the renderer could not obtain is reported lost at the start with its reason', async () => {
    const src = new RendererCaptureSource({
      mic: true,
      system: false,
      systemProblem: 'System audio not available: sharing was declined',
    });
    src.connect(() => undefined);
    const items = collect(src);
    src.pushFrame(encodeCaptureFrame(frame(0, 0, 512)));
    void src.stop();
    const all = await items;
    expect(all[0]).toMatchObject({ type: 'device', channel: 'system', state: 'lost' });
    expect((all[0] as CaptureDeviceEvent).message).toMatch(/sharing was declined/);
    expect(framesOf(all)[0].system.every((v) => v === 0)).toBe(true);
    expect(framesOf(all)[0].mic[100]).toBeCloseTo(0.01, 6);
    expect(() => new RendererCaptureSource({ mic: false, system: false })).toThrow(/no track/);
  });

  it('refuses a wrong sample rate with a clear error, ends cleanly and closes the transport', async () => {
    const src = new RendererCaptureSource({ mic: true, system: true });
    let closed: [string, boolean] | null = null;
    src.connect((r, e) => (closed = [r, e]));
    const items = collect(src);
    src.pushFrame(encodeCaptureFrame(frame(0, 0, 512)));
    expect(() => src.pushFrame(encodeCaptureFrame(frame(1, 512, 512, { sampleRate: 48_000 })))).toThrow(
      /sample rate 48000 Hz, expected 16000 Hz/,
    );
    const all = await items;
    expect(framesOf(all)).toHaveLength(1); // the frame before the bad one is kept
    expect(eventsOf(all).at(-1)?.message).toMatch(/rejected: sample rate 48000 Hz/);
    expect(closed).toEqual([expect.stringMatching(/sample rate 48000/), true]);
  });

  it('refuses malformed frames and control messages, naming the problem', () => {
    const good = encodeCaptureFrame(frame(0, 0, 64));
    const bad = (mutate: (v: DataView, b: ArrayBuffer) => ArrayBuffer | void): ArrayBuffer => {
      const b = good.slice(0);
      return mutate(new DataView(b), b) ?? b;
    };
    expect(() => decodeCaptureFrame(good.slice(0, 20))).toThrow(/shorter than the 32-byte header/);
    expect(() => decodeCaptureFrame(good.slice(0, good.byteLength - 4))).toThrow(/expected 544/);
    expect(() => decodeCaptureFrame(bad((v) => v.setUint32(0, 0xdeadbeef, true)))).toThrow(/bad magic/);
    expect(() => decodeCaptureFrame(bad((v) => v.setUint16(12, 1, true)))).toThrow(
      /1 channel\(s\), expected 2/,
    );
    expect(() => decodeCaptureFrame(bad((v) => v.setUint32(24, 0, true)))).toThrow(/0 samples per channel/);
    expect(() => decodeCaptureFrame(bad((v) => v.setFloat32(FRAME_HEADER_BYTES + 8, NaN, true)))).toThrow(
      /non-finite mic sample at 2/,
    );
    expect(() => decodeCaptureFrame(bad((v) => v.setFloat64(16, -1, true)))).toThrow(/timestamp -1/);
    expect(() => decodeCaptureFrame(bad((v) => v.setUint32(4, 8000, true)))).toThrow(CaptureFrameError);

    const src = new RendererCaptureSource({ mic: true, system: true });
    src.connect(() => undefined);
    src.pushFrame(encodeCaptureFrame(frame(5, 0, 64)));
    expect(() => src.pushFrame(encodeCaptureFrame(frame(5, 64, 64)))).toThrow(/sequence 5 after 5/);
    const src2 = new RendererCaptureSource({ mic: true, system: true });
    src2.connect(() => undefined);
    expect(() => src2.pushControl({ type: 'lost', channel: 'speaker', message: 'x' })).toThrow(
      /control message rejected/,
    );
    expect(src2.isEnded).toBe(true);
  });

  it('fills frames lost in transit with silence so both channels stay on the clock', async () => {
    const src = new RendererCaptureSource({ mic: true, system: true });
    src.connect(() => undefined);
    const items = collect(src);
    src.pushFrame(encodeCaptureFrame(frame(0, 0, 512)));
    src.pushFrame(encodeCaptureFrame(frame(3, 1536, 512))); // frames 1 and 2 never arrived
    src.disconnect();
    const frames = framesOf(await items);
    expect(frames).toHaveLength(4);
    expect(frames[1].mic.every((v) => v === 0) && frames[2].system.every((v) => v === 0)).toBe(true);
    expect(frames[3].mic[0]).toBeCloseTo(0.1536, 6);
  });

  it('the hub hands a session to one stream only; a source that never connects ends with a reason', async () => {
    const hub = new RendererCaptureHub();
    const src = new RendererCaptureSource({ mic: true, system: true, connectTimeoutS: 0.3 });
    hub.register('s1', src);
    expect(hub.available('nope')).toBeNull();
    expect(hub.available('s1')).toBe(src);
    const all = await collect(src);
    expect(eventsOf(all).at(-1)?.message).toMatch(/did not connect within 0.3 s/);
    expect(hub.available('s1')).toBeNull();
    const src2 = new RendererCaptureSource({ mic: true, system: true });
    hub.register('s2', src2);
    src2.connect(() => undefined);
    expect(hub.available('s2')).toBeNull();
    expect(() => src2.connect(() => undefined)).toThrow(/already connected/);
    await src2.stop();
  });
});

describe('renderer framing → MessagePort → engine source, on a real dev recording', () => {
  it('48 kHz two-track capture arrives at 16 kHz, channels aligned, matching ffmpeg (r > 0.99)', async () => {
    expect(existsSync(STEREO), `${STEREO} missing (../shared/data/dev)`).toBe(true);
    const pcm = (rate: number): Float32Array => {
      const b = execFileSync(
        'ffmpeg',
        [
          '-v',
          'error',
          '-i',
          STEREO,
          '-t',
          '8',
          '-ar',
          String(rate),
          '-f',
          'f32le',
          '-c:a',
          'pcm_f32le',
          '-',
        ],
        { maxBuffer: 64 * 1024 ** 2 },
      );
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };
    const in48 = pcm(48_000); // interleaved mic, system
    const ref16 = pcm(16_000);
    // the worklet side: 128-sample render quanta through the renderer's own framer
    const framer = new TwoTrackFramer(48_000);
    const { port1, port2 } = new MessageChannel();
    const src = new RendererCaptureSource({ mic: true, system: true });
    feedFromPort(src, {
      onMessage: (cb) => port2.on('message', cb),
      onClose: (cb) => port2.on('close', cb),
      close: () => port2.close(),
    });
    const items = collect(src);
    const n48 = in48.length / 2;
    for (let q = 0; q + 128 <= n48; q += 128) {
      const mic = new Float32Array(128);
      const sys = new Float32Array(128);
      for (let i = 0; i < 128; i++) {
        mic[i] = in48[2 * (q + i)];
        sys[i] = in48[2 * (q + i) + 1];
      }
      for (const f of framer.process([mic], [sys], 128, q / 48_000, { mic: true, system: true })) {
        const buf = encodeCaptureFrame(f);
        port1.postMessage(buf, [buf]);
      }
    }
    port1.postMessage({ type: 'end', message: 'done' });
    const frames = framesOf(await items);
    expect(frames.length).toBeGreaterThanOrEqual(Math.floor((8 * 16_000) / 512) - 1);
    const corr = (c: 0 | 1): number => {
      let xy = 0;
      let xx = 0;
      let yy = 0;
      frames.forEach((f, k) =>
        (c ? f.system : f.mic).forEach((x, i) => {
          const y = ref16[2 * (k * 512 + i) + c] ?? 0;
          xy += x * y;
          xx += x * x;
          yy += y * y;
        }),
      );
      return xy / Math.sqrt(xx * yy);
    };
    expect(corr(0)).toBeGreaterThan(0.99);
    expect(corr(1)).toBeGreaterThan(0.99);
    port1.close();
  });
});
