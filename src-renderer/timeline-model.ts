/**
 * Pure layout of the speaker timeline: lanes (a "You" lane first, then one per remote speaker),
 * the visible turns of each lane for a time window (binary search, so a 30-minute call with
 * thousands of turns costs only what is on screen), and colours. No DOM.
 */
import type { Turn } from '../src-shared/contracts/analysis.ts';

/** One lane of the timeline. */
export interface Lane {
  speakerId: string;
  label: string;
  color: string;
  /** Turns of this speaker sorted by start. */
  turns: Turn[];
}

/** Speaker colours (colour-blind-safe Okabe–Ito palette order). */
export const PALETTE = [
  '#56b4e9',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#f0e442',
  '#0072b2',
  '#d55e00',
  '#999999',
];

/** Talk time below which a speaker has nothing to show (rounds to 0:00): no lane, no card. */
export const MIN_SHOWN_TALK_S = 0.5;

/** Channel groups in lane order: the local side first, then the remote side, then a mono mix. */
const CHANNEL_ORDER: Record<string, number> = { mic: 0, system: 1, mono: 2 };

/**
 * The display label of a speaker, one rule for file, live and history: the mic speaker `you` is
 * "You" even in results stored before the engine kept that label (they say `Unknown N` there); an
 * unidentified speaker `S<N>` still carrying the engine's provisional `Speaker <N>` (a live session
 * before the library has decided) is `Unknown <N>`, as in file results. Names are kept as they are.
 */
export function displayLabel(s: { id: string; label: string }): string {
  if (s.id === 'you') return /^Unknown( \d+)?$/.test(s.label) ? 'You' : s.label;
  const n = /^S(\d+)$/.exec(s.id)?.[1];
  return n && s.label === `Speaker ${n}` ? `Unknown ${n}` : s.label;
}

/**
 * Builds lanes by the one labelling rule of file, live and history views: "You" first, then the
 * other speakers grouped by channel (mic, system, mono) and, within a channel, in order of their
 * first turn. Speakers with less than {@link MIN_SHOWN_TALK_S} of talk get no lane.
 * @param speakers id, label and (optional) channel of each speaker, in any order.
 * @param turns every turn, seconds; turns of unknown speakers are ignored.
 */
export function buildLanes(
  speakers: { id: string; label: string; channel?: string }[],
  turns: Turn[],
): Lane[] {
  const by = new Map<string, Turn[]>(speakers.map((s) => [s.id, []]));
  for (const t of turns) by.get(t.speakerId)?.push(t);
  const firstS = new Map<string, number>();
  const talkS = new Map<string, number>();
  for (const [id, ts] of by) {
    firstS.set(
      id,
      ts.reduce((m, t) => Math.min(m, t.startS), Infinity),
    );
    talkS.set(
      id,
      ts.reduce((n, t) => n + (t.endS - t.startS), 0),
    );
  }
  const first = (id: string): number => firstS.get(id)!;
  const talk = (id: string): number => talkS.get(id)!;
  const channel = (s: { id: string; channel?: string }): number =>
    s.id === 'you' ? -1 : (CHANNEL_ORDER[s.channel ?? by.get(s.id)![0]?.channel ?? 'mono'] ?? 3);
  const ordered = speakers
    .filter((s) => talk(s.id) >= MIN_SHOWN_TALK_S)
    .sort((a, b) => channel(a) - channel(b) || first(a.id) - first(b.id));
  return ordered.map((s, i) => ({
    speakerId: s.id,
    label: displayLabel(s),
    color: PALETTE[i % PALETTE.length],
    turns: by.get(s.id)!.sort((a, b) => a.startS - b.startS),
  }));
}

/**
 * Index of the first turn that may be visible at `fromS` (turns sorted by start; turns of one
 * speaker do not overlap, so ends are sorted too).
 */
export function firstVisible(turns: Turn[], fromS: number): number {
  let lo = 0;
  let hi = turns.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (turns[mid].endS <= fromS) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Turns of a lane intersecting [fromS, toS). */
export function visibleTurns(turns: Turn[], fromS: number, toS: number): Turn[] {
  const out: Turn[] = [];
  for (let i = firstVisible(turns, fromS); i < turns.length && turns[i].startS < toS; i++) out.push(turns[i]);
  return out;
}

/** Talk time per speaker id, seconds. */
export function talkTime(turns: Turn[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of turns) m.set(t.speakerId, (m.get(t.speakerId) ?? 0) + (t.endS - t.startS));
  return m;
}

/** `m:ss` or `h:mm:ss`. */
export function formatClock(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A synthetic call for the renderer benchmark: `speakers` lanes, turns of 0.5–6 s, some overlap. */
export function syntheticTurns(speakers: string[], durationS: number, seed = 1): Turn[] {
  let x = seed;
  const rnd = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const turns: Turn[] = [];
  const ch = (id: string): Turn['channel'] => (id === 'you' ? 'mic' : 'system');
  let t = 0;
  let prev = '';
  while (t < durationS) {
    const choices = speakers.filter((s) => s !== prev);
    const sp = choices[Math.floor(rnd() * choices.length)];
    const len = 0.5 + rnd() * 5.5;
    const end = Math.min(durationS, t + len);
    const overlap = rnd() < 0.1 && choices.length > 1;
    turns.push({ startS: t, endS: end, speakerId: sp, channel: ch(sp), overlap });
    if (overlap) {
      // a short interjection by another speaker near the end of this turn
      const other = choices.filter((s) => s !== sp)[Math.floor(rnd() * (choices.length - 1))];
      turns.push({
        startS: t + len * 0.6,
        endS: Math.min(durationS, end + 0.3),
        speakerId: other,
        channel: ch(other),
        overlap: true,
      });
    }
    prev = sp;
    t = end + (overlap ? 0.4 : 0) + rnd() * 0.8;
  }
  return turns;
}
