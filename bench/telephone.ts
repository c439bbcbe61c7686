/**
 * Telephone paths for the cross-condition voiceprint protocol: a clean recording is passed through
 * ffmpeg as a call would carry it. Conditions (each 300–3400 Hz band-limited first, as the
 * telephone band is, except `opus8k`, whose own narrowband mode limits it):
 *  - `band`: 300–3400 Hz band limit only (4th-order high- and low-pass), kept at 16 kHz;
 *  - `g711u` / `g711a`: band limit, 8 kHz, G.711 µ-law / A-law (ITU-T G.711);
 *  - `opus8k`: 8 kHz, Opus at 8 kbit/s, VoIP mode (RFC 6716).
 * Outputs are cached under bench/results/tmp/telephone/<condition>/.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { resolveFfmpeg } from '../src-main/engine/audio/ffmpeg.ts';

/** The telephone conditions of the cross-condition protocol. */
export const TELEPHONE_CONDITIONS = ['band', 'g711u', 'g711a', 'opus8k'] as const;
export type TelephoneCondition = (typeof TELEPHONE_CONDITIONS)[number];

const BAND = 'highpass=f=300,highpass=f=300,lowpass=f=3400,lowpass=f=3400';

const ARGS: Record<TelephoneCondition, { ext: string; args: string[] }> = {
  band: { ext: 'wav', args: ['-af', BAND, '-ar', '16000', '-c:a', 'pcm_s16le'] },
  g711u: { ext: 'wav', args: ['-af', BAND, '-ar', '8000', '-c:a', 'pcm_mulaw'] },
  g711a: { ext: 'wav', args: ['-af', BAND, '-ar', '8000', '-c:a', 'pcm_alaw'] },
  opus8k: { ext: 'ogg', args: ['-ar', '8000', '-c:a', 'libopus', '-b:a', '8k', '-application', 'voip'] },
};

const CACHE = join(import.meta.dirname, 'results', 'tmp', 'telephone');

/**
 * The file of `src` passed through condition `cond` (made once, then reused).
 * @param key a unique, path-safe name for `src` (e.g. its path relative to the data folder).
 * @throws Error when ffmpeg fails.
 */
export async function telephoneCopy(src: string, key: string, cond: TelephoneCondition): Promise<string> {
  const { ext, args } = ARGS[cond];
  const out = join(CACHE, cond, `${key.replace(/[^A-Za-z0-9._-]+/g, '_')}.${ext}`);
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  await new Promise<void>((res, rej) => {
    const p = spawn(resolveFfmpeg(), ['-nostdin', '-v', 'error', '-y', '-i', src, '-ac', '1', ...args, out]);
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res() : rej(new Error(`ffmpeg ${cond} ${src}: ${err.trim()}`))));
  });
  return out;
}
