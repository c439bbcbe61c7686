/**
 * The renderer side of browser capture, without a browser: the worklet's resampler (pass band,
 * stop band, no seams between render quanta), the two-track framer (sample-aligned channels,
 * timestamps, live flags, stereo down-mix) and the platform-limit messages the Live view shows.
 */
import { describe, expect, it } from 'vitest';

import { decodeCaptureFrame, encodeCaptureFrame } from '../../src-shared/contracts/capture.ts';
import { downmix, TwoTrackFramer } from './framer.ts';
import { micProblem, platformOf, systemProblem } from './platform-limits.ts';
import { StreamingResampler } from './resampler.ts';

const tone = (hz: number, rate: number, seconds: number, amp = 0.5): Float32Array =>
  Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate),
  );

/** Resamples in 128-sample quanta, as the worklet does. */
function resampleInQuanta(x: Float32Array, inRate: number): Float32Array {
  const rs = new StreamingResampler(inRate);
  const parts: Float32Array[] = [];
  for (let i = 0; i < x.length; i += 128) parts.push(rs.process(x.subarray(i, i + 128)));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}

const rms = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
const db = (r: number): number => 20 * Math.log10(r);

describe('StreamingResampler (48 / 44.1 kHz → 16 kHz)', () => {
  it.each([48_000, 44_100])('%i Hz: a 1 kHz tone passes at the same level and phase', (rate) => {
    const y = resampleInQuanta(tone(1000, rate, 1), rate);
    expect(Math.abs(y.length - 16_000)).toBeLessThanOrEqual(Math.ceil((16_000 / rate) * 2000) + 2);
    const mid = y.subarray(2000, 14_000);
    expect(rms(mid)).toBeCloseTo(0.5 / Math.SQRT2, 3);
    const ref = tone(1000, 16_000, 1).subarray(2000, 14_000);
    let err = 0;
    for (let i = 0; i < mid.length; i++) err = Math.max(err, Math.abs(mid[i] - ref[i]));
    expect(err).toBeLessThan(2e-3); // no delay, no seams at quantum boundaries
  });

  it('tones above 8 kHz do not fold back into the speech band (≥ 60 dB down)', () => {
    for (const hz of [9000, 10_000, 12_000, 20_000]) {
      const y = resampleInQuanta(tone(hz, 48_000, 0.5), 48_000);
      expect(db(rms(y.subarray(1000, 7000)) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
    }
    // the pass band: flat within 0.5 dB up to 6 kHz (the transition band is 6.1 … 8.9 kHz)
    const y6 = resampleInQuanta(tone(6000, 48_000, 0.5), 48_000);
    expect(Math.abs(db(rms(y6.subarray(1000, 7000)) / (0.5 / Math.SQRT2)))).toBeLessThan(0.5);
  });

  it('refuses upsampling and rates out of range', () => {
    expect(() => new StreamingResampler(8000)).toThrow(/must be 8000 … 8000/);
    expect(() => new StreamingResampler(1000)).toThrow(/out of range/);
    expect(new StreamingResampler(16_000).process(Float32Array.of(1, 2)).length).toBe(2);
  });
});

describe('TwoTrackFramer', () => {
  it('keeps the two tracks sample-aligned in 512-sample frames with audio-clock timestamps', () => {
    const fr = new TwoTrackFramer(48_000);
    const x = tone(440, 48_000, 0.5);
    const frames = [];
    for (let q = 0; q + 128 <= x.length; q += 128) {
      const m = x.subarray(q, q + 128);
      // system: the same signal as a stereo pair with opposite sign → its mono down-mix is -x
      const s = Float32Array.from(m, (v) => -v);
      frames.push(...fr.process([m], [s, s], 128, 5 + q / 48_000, { mic: true, system: q < 12_000 }));
    }
    expect(frames.length).toBe(Math.floor((0.5 * 16_000 - 20) / 512));
    frames.forEach((f, k) => {
      expect(f.seq).toBe(k);
      expect(f.t0).toBeCloseTo(5 + (k * 512) / 16_000, 9);
      for (let i = 0; i < 512; i += 37) expect(f.system[i]).toBeCloseTo(-f.mic[i], 6);
    });
    expect(frames[0].systemLive).toBe(true);
    expect(frames.at(-1)!.systemLive).toBe(false);
    // a frame survives the wire format unchanged
    const back = decodeCaptureFrame(encodeCaptureFrame(frames[3]));
    expect(back.mic).toEqual(frames[3].mic);
    expect(back.t0).toBe(frames[3].t0);
  });

  it('a track with no input contributes zeros; down-mix averages channels', () => {
    expect([...downmix([Float32Array.of(1, 0), Float32Array.of(0, 1)], 2)]).toEqual([0.5, 0.5]);
    expect([...downmix([], 3)]).toEqual([0, 0, 0]);
    const fr = new TwoTrackFramer(16_000, 256);
    const f = fr.process([tone(300, 16_000, 0.016)], [], 256, 0, { mic: true, system: false });
    expect(f).toHaveLength(1);
    expect(f[0].system.every((v) => v === 0)).toBe(true);
    expect(rms(f[0].mic)).toBeGreaterThan(0.3);
  });
});

describe('platform limits shown to the user', () => {
  const denied = new DOMException('Permission denied', 'NotAllowedError');
  it('names the platform and the reason when system audio cannot be had', () => {
    expect(platformOf('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)')).toBe('mac');
    expect(platformOf('Mozilla/5.0 (X11; Linux x86_64)')).toBe('linux');
    expect(systemProblem(null, 'mac', 'electron')).toMatch(/^System audio not available: .*macOS 13/);
    expect(systemProblem(denied, 'mac', 'electron')).toMatch(/Screen & System Audio Recording/);
    expect(systemProblem(denied, 'linux', 'web')).toMatch(/sharing was declined/);
    expect(systemProblem(null, 'linux', 'web')).toMatch(/browser tab only/);
    expect(systemProblem(null, 'windows', 'web')).toMatch(/Share system audio/);
    expect(systemProblem(null, 'linux', 'web', false)).toMatch(/no getDisplayMedia/);
  });

  it('says why the microphone cannot be captured', () => {
    expect(micProblem(denied)).toMatch(/microphone permission denied/);
    expect(micProblem(new DOMException('x', 'NotFoundError'))).toMatch(/no microphone found/);
    expect(micProblem(new DOMException('busy', 'NotReadableError'))).toMatch(/in use by another application/);
  });
});
