import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type TmpDir, createTmpDir, ffmpeg, sine, writeWav } from '../../test-support.ts';
import { concatFloat32 } from './samples.ts';
import {
  type AudioProbe,
  AudioInputError,
  ENGINE_SAMPLE_RATE,
  decodeStream,
  channelCorrelation,
  downmixBlock,
  parseProbe,
  probeAudio,
  resolveFfmpeg,
} from './ffmpeg.ts';

/** `ffmpeg -i` stderr as ffmpeg 5–7 print it, with the given stream line. */
const stderrWith = (streamLine: string, duration = '00:01:02.50'): string =>
  [
    "Input #0, wav, from 'call.wav':",
    '  Metadata:',
    '    encoder         : Lavf59.27.100',
    `  Duration: ${duration}, bitrate: 256 kb/s`,
    `  ${streamLine}`,
    'At least one output file must be specified',
  ].join('\n');

describe('parseProbe', () => {
  it('mono PCM WAV', () => {
    const p = parseProbe(
      stderrWith('Stream #0:0: Audio: pcm_s16le ([1][0][0][0] / 0x0001), 16000 Hz, mono, s16, 256 kb/s'),
    );
    expect(p).toEqual({ codec: 'pcm_s16le', sampleRate: 16000, channels: 1, durationS: 62.5 });
  });

  it('stereo AAC in MP4 after a video stream', () => {
    const text = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'meeting.mp4':",
      '  Duration: 01:02:03.25, start: 0.000000, bitrate: 1000 kb/s',
      '  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1280x720, 25 fps',
      '  Stream #0:1[0x2](eng): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 127 kb/s (default)',
    ].join('\n');
    expect(parseProbe(text)).toEqual({ codec: 'aac', sampleRate: 44100, channels: 2, durationS: 3723.25 });
  });

  it('5.1 and 5.1(side) layouts → 6 channels', () => {
    for (const layout of ['5.1', '5.1(side)']) {
      const p = parseProbe(stderrWith(`Stream #0:0: Audio: ac3, 48000 Hz, ${layout}, fltp, 384 kb/s`));
      expect(p?.channels, layout).toBe(6);
      expect(p?.codec).toBe('ac3');
    }
  });

  it('"N channels" without a named layout', () => {
    const two = parseProbe(stderrWith('Stream #0:0: Audio: pcm_s16le, 8000 Hz, 2 channels, s16, 256 kb/s'));
    expect(two).toMatchObject({ sampleRate: 8000, channels: 2 });
    const one = parseProbe(stderrWith('Stream #0:0: Audio: pcm_s16le, 8000 Hz, 1 channels, s16, 128 kb/s'));
    expect(one?.channels).toBe(1);
    const twelve = parseProbe(stderrWith('Stream #0:0: Audio: pcm_f32le, 48000 Hz, 12 channels, flt'));
    expect(twelve?.channels).toBe(12);
  });

  it('opus without a bitrate; unknown duration → null', () => {
    const p = parseProbe(stderrWith('Stream #0:0: Audio: opus, 48000 Hz, mono, fltp', 'N/A'));
    expect(p).toEqual({ codec: 'opus', sampleRate: 48000, channels: 1, durationS: null });
  });

  it('no audio stream → null', () => {
    expect(parseProbe('garbage.mp3: Invalid data found when processing input')).toBeNull();
    expect(
      parseProbe(stderrWith('Stream #0:0: Video: mjpeg (Baseline), yuvj420p(pc), 640x480, 25 tbr')),
    ).toBeNull();
  });
});

describe('probeAudio / decodeStream on generated files', () => {
  let tmp: TmpDir;
  let stereo8k: string;
  const SECONDS = 2.5;

  beforeAll(async () => {
    tmp = await createTmpDir('ffmpeg-test');
    // left: 440 Hz at 0.5; right: 1000 Hz at 0.1 (distinct levels reveal the channel order)
    stereo8k = await writeWav(
      join(tmp.path, 'stereo-8k.wav'),
      [sine(440, 0.5, SECONDS, 8000), sine(1000, 0.1, SECONDS, 8000)],
      8000,
    );
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  const rms = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

  /** Decodes everything, concatenating the blocks per channel. */
  async function decodeAll(
    file: string,
    probe: AudioProbe,
    channels: 'keep' | 'mono',
    blockSamples?: number,
  ): Promise<{ data: Float32Array[]; blocks: number[] }> {
    const parts: Float32Array[][] = [];
    const blocks: number[] = [];
    for await (const block of decodeStream(file, probe, { channels, blockSamples })) {
      blocks.push(block[0].length);
      block.forEach((ch, c) => (parts[c] ??= []).push(ch));
    }
    const data = parts.map((list) => concatFloat32(list));
    return { data, blocks };
  }

  it('probes an 8 kHz stereo WAV', async () => {
    const p = await probeAudio(stereo8k);
    expect(p.codec).toBe('pcm_s16le');
    expect(p.sampleRate).toBe(8000);
    expect(p.channels).toBe(2);
    expect(p.durationS).toBeCloseTo(SECONDS, 2);
  });

  it('decodes 8 kHz stereo to 16 kHz with both channels, in order, and the expected length', async () => {
    const p = await probeAudio(stereo8k);
    const { data, blocks } = await decodeAll(stereo8k, p, 'keep', 4000);
    expect(data).toHaveLength(2);
    const expected = SECONDS * ENGINE_SAMPLE_RATE;
    expect(Math.abs(data[0].length - expected) / expected).toBeLessThanOrEqual(0.01);
    expect(data[1].length).toBe(data[0].length);
    // every block but the last has exactly blockSamples samples per channel
    blocks.slice(0, -1).forEach((n) => expect(n).toBe(4000));
    expect(blocks[blocks.length - 1]).toBeGreaterThan(0);
    expect(blocks[blocks.length - 1]).toBeLessThanOrEqual(4000);
    // levels survive resampling: 0.5/√2 and 0.1/√2
    expect(rms(data[0])).toBeCloseTo(0.5 / Math.SQRT2, 2);
    expect(rms(data[1])).toBeCloseTo(0.1 / Math.SQRT2, 2);
    for (const ch of data) expect(ch.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(1);
  });

  it('down-mixes to mono on request', async () => {
    const p = await probeAudio(stereo8k);
    const { data } = await decodeAll(stereo8k, p, 'mono');
    expect(data).toHaveLength(1);
    expect(Math.abs(data[0].length - SECONDS * ENGINE_SAMPLE_RATE)).toBeLessThanOrEqual(
      0.01 * SECONDS * 16000,
    );
  });

  it('probes other containers written by ffmpeg (FLAC) and a 6-channel WAV', async () => {
    const flac = join(tmp.path, 'stereo.flac');
    ffmpeg(['-i', stereo8k, '-c:a', 'flac', flac]);
    expect(await probeAudio(flac)).toMatchObject({ codec: 'flac', sampleRate: 8000, channels: 2 });
    const six = await writeWav(
      join(tmp.path, 'six.wav'),
      Array.from({ length: 6 }, () => sine(300, 0.1, 0.5)),
      16000,
    );
    expect((await probeAudio(six)).channels).toBe(6);
  });

  it('rejects missing, directory, empty and non-audio inputs with AudioInputError naming the file', async () => {
    const dir = join(tmp.path, 'a-folder');
    await mkdir(dir);
    const empty = join(tmp.path, 'empty.wav');
    await writeFile(empty, '');
    const text = join(tmp.path, 'text.wav');
    await writeFile(text, 'hello, this is not audio\n'.repeat(50));
    const cases: [string, RegExp][] = [
      [join(tmp.path, 'nope.wav'), /file not found/],
      [dir, /directory/],
      [empty, /empty/],
      [text, /not a readable audio file|no audio stream/],
    ];
    for (const [file, problem] of cases) {
      const err = await probeAudio(file).catch((e: unknown) => e);
      expect(err, file).toBeInstanceOf(AudioInputError);
      expect((err as AudioInputError).file).toBe(file);
      expect((err as AudioInputError).problem).toMatch(problem);
      expect((err as AudioInputError).message).toBe(`${file}: ${(err as AudioInputError).problem}`);
    }
  });

  it('channelCorrelation: identical channels → 1, independent channels → near 0', async () => {
    const tone = sine(300, 0.3, 2);
    const dual = await writeWav(join(tmp.path, 'dual.wav'), [tone, tone], 16000);
    const blocksOf = async (f: string): Promise<Float32Array[][]> => {
      const out: Float32Array[][] = [];
      for await (const b of decodeStream(f, await probeAudio(f), { channels: 'keep' })) out.push(b);
      return out;
    };
    expect(channelCorrelation(await blocksOf(dual))).toBeGreaterThan(0.99);
    expect(Math.abs(channelCorrelation(await blocksOf(stereo8k)))).toBeLessThan(0.5);
    expect(channelCorrelation([[Float32Array.of(0, 0), Float32Array.of(0.5, -0.5)]])).toBe(0);
  });

  it('downmixBlock averages the channels', () => {
    const [m] = downmixBlock([Float32Array.of(1, 0), Float32Array.of(0, 1)]);
    expect(Array.from(m)).toEqual([0.5, 0.5]);
  });

  it('CALLSCOPE_FFMPEG overrides the binary; a bad one gives an actionable error', async () => {
    const saved = process.env.CALLSCOPE_FFMPEG;
    try {
      process.env.CALLSCOPE_FFMPEG = join(tmp.path, 'no-such-ffmpeg');
      expect(resolveFfmpeg()).toBe(process.env.CALLSCOPE_FFMPEG);
      await expect(probeAudio(stereo8k)).rejects.toThrow(/cannot run ffmpeg.*CALLSCOPE_FFMPEG/);
    } finally {
      if (saved === undefined) delete process.env.CALLSCOPE_FFMPEG;
      else process.env.CALLSCOPE_FFMPEG = saved;
    }
  });
});
