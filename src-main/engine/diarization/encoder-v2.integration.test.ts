/**
 * Speaker encoder v2 (`callscope_spk_encoder_v2`, models/MODEL_CARD.md "Speaker encoder v2"): it loads
 * through the registry (sha256 checked against models/manifest.json), has the documented 292-dim
 * L2-normalised output, and matches a clean enrollment against a telephone-path test, the case it
 * was trained for: three dev speakers enrolled on clean clips, one test clip each sent through a
 * GSM 06.10 call path (300–3400 Hz, 8 kHz, libgsm round trip with ffmpeg, as
 * training/channel.py's `gsm` path) must be named right, with a margin over the runner-up.
 * Real model, real ffmpeg, real dev audio.
 */
import { spawnSync } from 'node:child_process';

import { beforeAll, describe, expect, it } from 'vitest';

import { decodeDevMono, useSharedModels } from '../../test-support.ts';
import { computeFbank } from '../audio/fbank.ts';
import { dot, l2normalize } from './clustering.ts';
import { createEmbeddingBackend, type EmbeddingBackend } from './embedding.ts';

/** 16 kHz mono samples through GSM 06.10 at 8 kHz (band 300–3400 Hz) and back to 16 kHz. */
function gsmPath(x: Float32Array): Float32Array {
  const run = (args: string[], input: Buffer): Buffer => {
    const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', ...args], {
      input,
      maxBuffer: 1 << 28,
    });
    if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr.toString()}`);
    return r.stdout;
  };
  const pcm = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  const gsm = run(
    ['-f', 'f32le', '-ar', '16000', '-ac', '1', '-i', '-', '-af', 'highpass=f=300,lowpass=f=3400'].concat([
      '-ar',
      '8000',
      '-c:a',
      'libgsm',
      '-f',
      'gsm',
      '-',
    ]),
    pcm,
  );
  const out = run(['-f', 'gsm', '-i', '-', '-ar', '16000', '-ac', '1', '-f', 'f32le', '-'], gsm);
  return new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
}

const SPEAKERS: Record<string, { enroll: string[]; test: string }> = {
  librispeech_1688: {
    enroll: ['1688-142285-0000.flac', '1688-142285-0001.flac'],
    test: '1688-142285-0003.flac',
  },
  librispeech_1998: {
    enroll: ['1998-15444-0000.flac', '1998-15444-0001.flac'],
    test: '1998-15444-0003.flac',
  },
  librispeech_2609: {
    enroll: ['2609-156975-0000.flac', '2609-156975-0001.flac'],
    test: '2609-156975-0003.flac',
  },
};

let encoder: EmbeddingBackend;

beforeAll(async () => {
  useSharedModels();
  encoder = await createEmbeddingBackend('callscope_spk_encoder_v2');
});

describe('speaker encoder v2', () => {
  it('loads from the manifest with a 292-dim, L2-normalised output', async () => {
    expect(encoder.dim).toBe(292);
    const audio = await decodeDevMono('voiceprint/librispeech_1688/1688-142285-0000.flac');
    const e = await encoder.embed(computeFbank(audio));
    expect(e.length).toBe(292);
    expect(Math.sqrt(dot(e, e))).toBeCloseTo(1, 4);
  });

  it('names each speaker from a GSM-path test clip against clean enrollments', async () => {
    const emb = async (x: Float32Array): Promise<Float32Array> =>
      l2normalize(await encoder.embed(computeFbank(x)));
    const names = Object.keys(SPEAKERS);
    const models: Float32Array[] = [];
    for (const name of names) {
      const es = await Promise.all(
        SPEAKERS[name].enroll.map(async (f) => emb(await decodeDevMono(`voiceprint/${name}/${f}`))),
      );
      const mean = new Float32Array(es[0].length);
      for (const e of es) for (let i = 0; i < e.length; i++) mean[i] += e[i];
      models.push(l2normalize(mean));
    }
    for (const name of names) {
      const clean = await decodeDevMono(`voiceprint/${name}/${SPEAKERS[name].test}`);
      const tel = await emb(gsmPath(clean));
      const scores = models.map((m) => dot(m, tel));
      const own = scores[names.indexOf(name)];
      const other = Math.max(...scores.filter((_, i) => i !== names.indexOf(name)));
      expect(own - other, `${name}: own ${own.toFixed(3)}, best other ${other.toFixed(3)}`).toBeGreaterThan(
        0.1,
      );
    }
  });
});
