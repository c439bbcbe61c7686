/**
 * Per-speaker evidence after diarization: a second, streamed decode collects each speaker's best
 * speech (longest turns without overlap, up to a budget), from which one speaker embedding (for
 * voiceprints) and the age/gender estimate are computed. The budget keeps long calls from costing
 * proportionally more: at most `budgetS` seconds per speaker are ever processed.
 */
import type { ChannelRole, Turn } from '../../../src-shared/contracts/analysis.ts';
import { type AudioProbe, decodeStream, ENGINE_SAMPLE_RATE } from '../audio/ffmpeg.ts';
import { computeFbank } from '../audio/fbank.ts';
import { concatFloat32 } from '../audio/samples.ts';

/** Options of {@link collectSpeakerAudio}. */
export interface EvidenceOptions {
  /** Seconds of speech kept per speaker (best turns first). */
  budgetS: number;
  /** Seconds trimmed from both ends of each turn (boundaries are the least reliable part). */
  trimS: number;
  /** Turns shorter than this (after trimming) are not used, seconds. */
  minTurnS: number;
}

export const DEFAULT_EVIDENCE: EvidenceOptions = { budgetS: 30, trimS: 0.1, minTurnS: 0.5 };

interface Span {
  speakerId: string;
  channel: number;
  start: number;
  end: number;
}

/** Parts of each turn during which no other speaker talks (turns sorted by start). */
export function cleanPieces(
  turns: Turn[],
): { speakerId: string; channel: ChannelRole; startS: number; endS: number }[] {
  const sorted = [...turns].sort((a, b) => a.startS - b.startS);
  const pieces: { speakerId: string; channel: ChannelRole; startS: number; endS: number }[] = [];
  for (const t of sorted) {
    let cursor = t.startS;
    const others = sorted
      .filter((o) => o.speakerId !== t.speakerId && o.endS > t.startS && o.startS < t.endS)
      .sort((a, b) => a.startS - b.startS);
    for (const o of others) {
      if (o.startS > cursor)
        pieces.push({ speakerId: t.speakerId, channel: t.channel, startS: cursor, endS: o.startS });
      cursor = Math.max(cursor, o.endS);
    }
    if (cursor < t.endS)
      pieces.push({ speakerId: t.speakerId, channel: t.channel, startS: cursor, endS: t.endS });
  }
  return pieces;
}

/**
 * Chooses, per speaker, the longest stretches of their speech without another speaker (see
 * {@link cleanPieces}) until the budget is reached.
 * @returns spans in samples, sorted by start.
 */
export function selectEvidenceSpans(
  turns: Turn[],
  roles: ChannelRole[],
  opts: EvidenceOptions = DEFAULT_EVIDENCE,
): Span[] {
  const bySpeaker = new Map<string, ReturnType<typeof cleanPieces>>();
  for (const p of cleanPieces(turns)) {
    const list = bySpeaker.get(p.speakerId) ?? [];
    list.push(p);
    bySpeaker.set(p.speakerId, list);
  }
  const spans: Span[] = [];
  for (const [speakerId, list] of bySpeaker) {
    let used = 0;
    for (const t of [...list].sort((a, b) => b.endS - b.startS - (a.endS - a.startS))) {
      const start = t.startS + opts.trimS;
      const end = Math.min(t.endS - opts.trimS, start + (opts.budgetS - used));
      if (end - start < opts.minTurnS) continue;
      const channel = Math.max(0, roles.indexOf(t.channel));
      spans.push({
        speakerId,
        channel,
        start: Math.round(start * ENGINE_SAMPLE_RATE),
        end: Math.round(end * ENGINE_SAMPLE_RATE),
      });
      used += end - start;
      if (used >= opts.budgetS - opts.minTurnS) break;
    }
  }
  return spans.sort((a, b) => a.start - b.start);
}

/**
 * Decodes the file again and returns each selected span's fbank frames, grouped per speaker.
 * @returns speaker id → raw fbank frames [T, 80] (concatenated over spans), the same spans' 16 kHz
 *   samples concatenated (for waveform age/gender models; at most the evidence budget) and seconds used.
 */
export async function collectSpeakerFeatures(
  file: string,
  probe: AudioProbe,
  roles: ChannelRole[],
  spans: Span[],
): Promise<Map<string, { feats: Float32Array; audio: Float32Array; seconds: number }>> {
  const pieces = new Map<Span, Float32Array>(spans.map((s) => [s, new Float32Array(s.end - s.start)]));
  let pos = 0;
  if (spans.length) {
    const lastEnd = Math.max(...spans.map((s) => s.end));
    for await (const block of decodeStream(file, probe, { channels: roles.length === 1 ? 'mono' : 'keep' })) {
      const n = block[0].length;
      for (const s of spans) {
        const from = Math.max(s.start, pos);
        const to = Math.min(s.end, pos + n);
        if (to > from) pieces.get(s)!.set(block[s.channel].subarray(from - pos, to - pos), from - s.start);
      }
      pos += n;
      if (pos >= lastEnd) break;
    }
  }
  const out = new Map<string, { parts: Float32Array[]; audio: Float32Array[]; seconds: number }>();
  for (const [s, audio] of pieces) {
    const entry = out.get(s.speakerId) ?? { parts: [], audio: [], seconds: 0 };
    entry.parts.push(computeFbank(audio));
    entry.audio.push(audio);
    entry.seconds += audio.length / ENGINE_SAMPLE_RATE;
    out.set(s.speakerId, entry);
  }
  const result = new Map<string, { feats: Float32Array; audio: Float32Array; seconds: number }>();
  for (const [id, { parts, audio, seconds }] of out) {
    result.set(id, { feats: concatFloat32(parts), audio: concatFloat32(audio), seconds });
  }
  return result;
}
