/**
 * Deterministic two-channel call simulator (issue 13, scaled down; see bench/README.md).
 *
 * Each call (seed = base seed + call index): one local speaker on the mic channel and 1–3 remote
 * speakers on the system channel, alternating turns (log-normal turn lengths, median 2.5 s,
 * 0.6–8 s; gaps uniform in [−0.6, 1.0] s, negative = overlap; back-channels of 0.3–0.8 s from the
 * listener in 15 % of turns). The remote channel goes through a telephone path with ffmpeg
 * (300–3400 Hz band limit, 8 kHz, then one of G.711 µ-law, G.711 A-law, GSM 06.10, Opus 8/12/16
 * kbit/s) and back to 16 kHz. The mic channel gets the local speech, white noise at an SNR of
 * 5–25 dB and a bleed of the processed remote channel at −20 to −35 dB with a 10–60 ms delay.
 * No room reverb on calls yet.
 *
 * Meetings (`<pool>-meetings`): mono mixtures of 3–6 speakers of the pool, one at a time with the
 * same turn and gap model (overlaps from negative gaps, back-channels from a random listener),
 * each speaker through its own far-field room response (direct path + exponentially decaying
 * velvet-noise tail, RT60 0.3–0.8 s, direct-to-reverberant ratio 0–8 dB), plus white noise at an SNR of 5–25 dB.
 *
 * Speakers: `sim-train` = `../shared/data/train` LibriSpeech speakers (for anything fitted);
 * `sim-dev` = dev voiceprint and age/gender speakers, none of them in train (for reporting).
 * Reference RTTM: each segment's speech by a 20-ms energy detector (frames within 35 dB of the
 * segment's loudest frame, gaps < 0.3 s bridged), as DATA.md's aws call reference was derived.
 *
 * Usage: `node --import tsx bench/simulate/calls.ts <sim-train|sim-dev> <count> [seed] [meetings]`;
 * writes `bench/results/tmp/sim/<pool>/call_NNN.wav` + `.rttm`, or with `meetings`
 * `bench/results/tmp/sim/<pool>-meetings/meeting_NNN.wav` + `.rttm` (git-ignored; never commit
 * audio).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { decodeStream, probeAudio, resolveFfmpeg } from '../../src-main/engine/audio/ffmpeg.ts';
import { concatFloat32 } from '../../src-main/engine/audio/samples.ts';
import { encodeWav, seededRandom } from '../../src-main/test-support.ts';

const SR = 16_000;
const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const OUT = join(import.meta.dirname, '..', 'results', 'tmp', 'sim');

/** A speaker's files (decoded lazily). */
interface SpeakerSource {
  id: string;
  files: string[];
}

/** The two disjoint speaker pools. @throws Error on an unknown pool. */
export function speakerPool(pool: string): SpeakerSource[] {
  if (pool === 'sim-dev') {
    const out: SpeakerSource[] = [];
    const vp = join(DATA, 'dev', 'voiceprint');
    for (const d of readdirSync(vp)
      .filter((n) => /^(librispeech|azure)_/.test(n))
      .sort())
      out.push({
        id: d,
        files: readdirSync(join(vp, d))
          .sort()
          .map((f) => join(vp, d, f)),
      });
    const ag = join(DATA, 'dev', 'agegender');
    const rows = readFileSync(join(ag, 'labels_ext.csv'), 'utf8').trim().split('\n').slice(1);
    const bySpk = new Map<string, string[]>();
    for (const r of rows) {
      const [file, , , , , spk] = r.split(',');
      bySpk.set(spk, [...(bySpk.get(spk) ?? []), join(ag, file)]);
    }
    for (const [id, files] of [...bySpk].sort()) out.push({ id: `ag_${id}`, files });
    return out;
  }
  if (pool === 'sim-train') {
    const rows = readFileSync(join(DATA, 'train', 'manifest.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const bySpk = new Map<string, { files: string[]; dur: number }>();
    for (const r of rows) {
      const f = r.split(',');
      if (f[1] !== 'librispeech_resemblyzer') continue;
      const s = bySpk.get(f[2]) ?? { files: [], dur: 0 };
      s.files.push(join(DATA, 'train', f[0]));
      s.dur += Number(f[7]);
      bySpk.set(f[2], s);
    }
    return [...bySpk]
      .filter(([, s]) => s.dur >= 10)
      .sort()
      .map(([id, s]) => ({ id, files: s.files }));
  }
  throw new Error(`unknown speaker pool "${pool}" (sim-train or sim-dev)`);
}

async function decodeMono(file: string): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const [x] of decodeStream(file, await probeAudio(file), { channels: 'mono' })) parts.push(x);
  return concatFloat32(parts);
}

function ffmpeg(args: string[]): void {
  const r = spawnSync(resolveFfmpeg(), ['-y', '-hide_banner', '-loglevel', 'error', ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/** Telephone paths of the remote channel: [name, encoder args, container extension]. */
const PHONE: [string, string[], string][] = [
  ['g711-mulaw', ['-c:a', 'pcm_mulaw'], 'wav'],
  ['g711-alaw', ['-c:a', 'pcm_alaw'], 'wav'],
  ['gsm', ['-c:a', 'libgsm', '-f', 'gsm'], 'gsm'],
  ['opus-8k', ['-c:a', 'libopus', '-b:a', '8k'], 'ogg'],
  ['opus-12k', ['-c:a', 'libopus', '-b:a', '12k'], 'ogg'],
  ['opus-16k', ['-c:a', 'libopus', '-b:a', '16k'], 'ogg'],
];

/** Runs `x` (16 kHz) through a telephone path and back to 16 kHz. */
async function phonePath(x: Float32Array, path: (typeof PHONE)[number], tmp: string): Promise<Float32Array> {
  const src = join(tmp, 'remote.wav');
  writeFileSync(src, encodeWav([x], SR));
  const coded = join(tmp, `remote-coded.${path[2]}`);
  ffmpeg(['-i', src, '-af', 'highpass=f=300,lowpass=f=3400', '-ar', '8000', '-ac', '1', ...path[1], coded]);
  const back = await decodeMono(coded);
  const out = new Float32Array(x.length);
  out.set(back.subarray(0, x.length));
  return out;
}

/** Speech intervals of a segment by a 20-ms energy detector (see the module doc). */
function speechIntervals(x: Float32Array, offsetS: number): [number, number][] {
  const hop = 320;
  const n = Math.floor(x.length / hop);
  const db = Float64Array.from({ length: n }, (_, f) => {
    let e = 0;
    for (let i = f * hop; i < (f + 1) * hop; i++) e += x[i] * x[i];
    return 10 * Math.log10(e / hop + 1e-12);
  });
  const peak = Math.max(...db);
  const out: [number, number][] = [];
  for (let f = 0; f < n; f++) {
    if (db[f] < peak - 35 || db[f] < -60) continue;
    const s = offsetS + (f * hop) / SR;
    const e = s + hop / SR;
    const last = out[out.length - 1];
    if (last && s - last[1] < 0.3) last[1] = e;
    else out.push([s, e]);
  }
  return out;
}

/** Generates one call into `dir` (`work`: scratch folder for the codec files). */
async function simulateCall(
  pool: SpeakerSource[],
  cache: Map<string, Float32Array>,
  seed: number,
  name: string,
  dir: string,
  work: string,
): Promise<{ remotes: number; codec: string }> {
  const rand = seededRandom(seed);
  const pick = <T>(a: T[]): T => a[Math.floor(rand() * a.length)];
  const u = rand();
  const nRemote = u < 0.6 ? 1 : u < 0.85 ? 2 : 3;
  const chosen: SpeakerSource[] = [];
  while (chosen.length < nRemote + 1) {
    const s = pick(pool);
    if (!chosen.includes(s)) chosen.push(s);
  }
  const audioOf = async (s: SpeakerSource): Promise<Float32Array> => {
    let a = cache.get(s.id);
    if (!a) {
      a = concatFloat32(await Promise.all(s.files.map(decodeMono)));
      const peak = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
      a = a.map((v) => (0.5 * v) / peak);
      cache.set(s.id, a);
    }
    return a;
  };
  const durS = 60 + 30 * rand();
  const n = Math.round(durS * SR);
  const local = new Float32Array(n);
  const remote = new Float32Array(n);
  const rttm: string[] = [];
  const place = async (spk: number, startS: number, lenS: number): Promise<number> => {
    const a = await audioOf(chosen[spk]);
    const len = Math.min(Math.round(lenS * SR), a.length, n - Math.round(startS * SR));
    if (len <= SR / 4) return startS;
    const from = Math.floor(rand() * (a.length - len));
    const seg = a.subarray(from, from + len);
    const at = Math.round(startS * SR);
    (spk === 0 ? local : remote).set(seg, at);
    for (const [s, e] of speechIntervals(seg, startS))
      rttm.push(
        `SPEAKER ${name} 1 ${s.toFixed(3)} ${(e - s).toFixed(3)} <NA> <NA> ${spk === 0 ? 'L' : 'R'}_${chosen[spk].id} <NA> <NA>`,
      );
    return startS + len / SR;
  };
  let t = 0.5 + rand();
  let speaker = rand() < 0.5 ? 0 : 1 + Math.floor(rand() * nRemote);
  while (t < durS - 1) {
    const lenS = Math.min(8, Math.max(0.6, Math.exp(Math.log(2.5) + 0.6 * (rand() * 2 - 1) * 1.7)));
    const end = await place(speaker, t, lenS);
    if (rand() < 0.15) {
      // back-channel of the listener inside the turn
      const other = speaker === 0 ? 1 + Math.floor(rand() * nRemote) : 0;
      await place(other, t + (end - t) * (0.3 + 0.4 * rand()), 0.3 + 0.5 * rand());
    }
    t = Math.max(t + 0.3, end + (-0.6 + 1.6 * rand()));
    speaker = speaker === 0 ? 1 + Math.floor(rand() * nRemote) : 0;
  }
  const codec = pick(PHONE);
  const system = await phonePath(remote, codec, work);
  // mic: local speech + noise at SNR 5–25 dB + delayed, attenuated bleed of the system channel
  let e = 0;
  let cnt = 0;
  for (const v of local)
    if (Math.abs(v) > 1e-4) {
      e += v * v;
      cnt++;
    }
  const noiseRms = Math.sqrt(e / Math.max(1, cnt)) * 10 ** (-(5 + 20 * rand()) / 20);
  const bleed = 10 ** (-(20 + 15 * rand()) / 20);
  const delay = Math.round((0.01 + 0.05 * rand()) * SR);
  const mic = Float32Array.from(local, (v, i) => {
    const noise = noiseRms * Math.sqrt(3) * (2 * rand() - 1);
    return v + noise + (i >= delay ? bleed * system[i - delay] : 0);
  });
  writeFileSync(join(dir, `${name}.wav`), encodeWav([mic, system], SR));
  writeFileSync(join(dir, `${name}.rttm`), rttm.join('\n') + '\n');
  return { remotes: nRemote, codec: codec[0] };
}

/**
 * A far-field room response as sparse taps: unit direct path + an exponentially decaying
 * velvet-noise tail (random ±1 impulses, 300 per second; Järveläinen & Karjalainen, "Reverberation
 * modeling using velvet noise", AES 30th Conference, 2007), so the convolution stays cheap.
 */
function roomResponse(rand: () => number): { at: Int32Array; gain: Float32Array } {
  const rt60 = 0.3 + 0.5 * rand();
  const len = Math.round(rt60 * SR);
  const step = SR / 300;
  const at: number[] = [0];
  const gain: number[] = [1];
  let tail = 0;
  for (let p = 0; p + step <= len; p += step) {
    const i = Math.max(1, Math.round(p + rand() * (step - 1)));
    const g = (rand() < 0.5 ? -1 : 1) * 10 ** ((-3 * i) / len); // −60 dB at rt60
    at.push(i);
    gain.push(g);
    tail += g * g;
  }
  // direct-to-reverberant ratio 0–8 dB
  const k = Math.sqrt(10 ** (-(8 * rand()) / 10) / tail);
  for (let j = 1; j < gain.length; j++) gain[j] *= k;
  return { at: Int32Array.from(at), gain: Float32Array.from(gain) };
}

/** y += x ∗ h for a sparse response h. */
function addConvolved(y: Float32Array, x: Float32Array, h: { at: Int32Array; gain: Float32Array }): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === 0) continue; // a speaker's track is silent outside its turns
    for (let j = 0; j < h.at.length && i + h.at[j] < y.length; j++) y[i + h.at[j]] += h.gain[j] * v;
  }
}

/** Generates one mono meeting into `dir`. */
async function simulateMeeting(
  pool: SpeakerSource[],
  cache: Map<string, Float32Array>,
  seed: number,
  name: string,
  dir: string,
): Promise<{ speakers: number }> {
  const rand = seededRandom(seed);
  const nSpk = 3 + Math.floor(rand() * 4);
  const chosen: SpeakerSource[] = [];
  while (chosen.length < nSpk) {
    const sp = pool[Math.floor(rand() * pool.length)];
    if (!chosen.includes(sp)) chosen.push(sp);
  }
  const durS = 60 + 60 * rand();
  const n = Math.round(durS * SR);
  const dry = chosen.map(() => new Float32Array(n));
  const rttm: string[] = [];
  const place = async (spk: number, startS: number, lenS: number): Promise<number> => {
    let a = cache.get(chosen[spk].id);
    if (!a) {
      a = concatFloat32(await Promise.all(chosen[spk].files.map(decodeMono)));
      const peak = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
      a = a.map((v) => (0.5 * v) / peak);
      cache.set(chosen[spk].id, a);
    }
    const len = Math.min(Math.round(lenS * SR), a.length, n - Math.round(startS * SR));
    if (len <= SR / 4) return startS;
    const from = Math.floor(rand() * (a.length - len));
    const seg = a.subarray(from, from + len);
    dry[spk].set(seg, Math.round(startS * SR));
    for (const [s0, e0] of speechIntervals(seg, startS))
      rttm.push(
        `SPEAKER ${name} 1 ${s0.toFixed(3)} ${(e0 - s0).toFixed(3)} <NA> <NA> ${chosen[spk].id} <NA> <NA>`,
      );
    return startS + len / SR;
  };
  let t = 0.5 + rand();
  let speaker = Math.floor(rand() * nSpk);
  while (t < durS - 1) {
    const lenS = Math.min(8, Math.max(0.6, Math.exp(Math.log(2.5) + 0.6 * (rand() * 2 - 1) * 1.7)));
    const end = await place(speaker, t, lenS);
    if (rand() < 0.15) {
      const other = (speaker + 1 + Math.floor(rand() * (nSpk - 1))) % nSpk;
      await place(other, t + (end - t) * (0.3 + 0.4 * rand()), 0.3 + 0.5 * rand());
    }
    t = Math.max(t + 0.3, end + (-0.6 + 1.6 * rand()));
    speaker = (speaker + 1 + Math.floor(rand() * (nSpk - 1))) % nSpk;
  }
  const mix = new Float32Array(n);
  dry.forEach((x) => addConvolved(mix, x, roomResponse(rand)));
  let e = 0;
  let cnt = 0;
  for (const v of mix)
    if (Math.abs(v) > 1e-4) {
      e += v * v;
      cnt++;
    }
  const noiseRms = Math.sqrt(e / Math.max(1, cnt)) * 10 ** (-(5 + 20 * rand()) / 20);
  let peak = 0;
  for (let i = 0; i < n; i++) {
    mix[i] += noiseRms * Math.sqrt(3) * (2 * rand() - 1);
    peak = Math.max(peak, Math.abs(mix[i]));
  }
  if (peak > 0.99) for (let i = 0; i < n; i++) mix[i] *= 0.99 / peak;
  writeFileSync(join(dir, `${name}.wav`), encodeWav([mix], SR));
  writeFileSync(join(dir, `${name}.rttm`), rttm.join('\n') + '\n');
  return { speakers: nSpk };
}

async function main(): Promise<void> {
  const [poolName = 'sim-dev', countArg = '20', seedArg, kind] = process.argv.slice(2);
  const pool = speakerPool(poolName);
  const count = Number(countArg);
  const seed = Number(seedArg ?? (poolName === 'sim-dev' ? 1000 : 2000));
  const cache = new Map<string, Float32Array>();
  if (kind === 'meetings') {
    const dir = join(OUT, `${poolName}-meetings`);
    mkdirSync(dir, { recursive: true });
    const meta: Record<string, { speakers: number }> = {};
    for (let i = 0; i < count; i++) {
      const name = `meeting_${String(i).padStart(3, '0')}`;
      meta[name] = await simulateMeeting(pool, cache, seed + 500 + i, name, dir);
    }
    writeFileSync(join(dir, 'meetings.json'), JSON.stringify(meta, null, 1));
    console.log(`${count} meetings from ${pool.length} ${poolName} speakers in ${dir}`);
    return;
  }
  const dir = join(OUT, poolName);
  const work = join(OUT, 'work');
  mkdirSync(dir, { recursive: true });
  mkdirSync(work, { recursive: true });
  // calls already generated (same seed) are kept, so a larger count only adds calls
  const metaPath = join(dir, 'calls.json');
  const meta = (existsSync(metaPath) ? JSON.parse(readFileSync(metaPath, 'utf8')) : {}) as Record<
    string,
    { remotes: number; codec: string }
  >;
  for (let i = 0; i < count; i++) {
    const name = `call_${String(i).padStart(3, '0')}`;
    if (meta[name] && existsSync(join(dir, `${name}.wav`))) continue;
    meta[name] = await simulateCall(pool, cache, seed + i, name, dir, work);
    writeFileSync(metaPath, JSON.stringify(meta, null, 1));
  }
  writeFileSync(metaPath, JSON.stringify(meta, null, 1));
  console.log(`${count} calls from ${pool.length} ${poolName} speakers in ${dir}`);
}

await main();
