/**
 * RTTM (Rich Transcription Time Marked) reading and writing, restricted to `SPEAKER` records: the
 * format diarization references and hypotheses are exchanged in (NIST RT-09 evaluation plan,
 * appendix A; also what pyannote.database, dscore and md-eval read). Pure TypeScript.
 *
 * A `SPEAKER` line has ten whitespace-separated fields:
 * `SPEAKER <file id> <channel> <start s> <duration s> <NA> <NA> <speaker> <NA> <NA>`.
 */

/** One speaker turn, in seconds from the start of the recording (`0 ≤ start ≤ end`). */
export interface SpeakerSegment {
  start: number;
  end: number;
  speaker: string;
}

/** A half-open time interval in seconds. */
export interface TimeInterval {
  start: number;
  end: number;
}

/**
 * The other record types of the NIST RTTM specification. Lines of these types are valid RTTM but
 * carry no speaker turn, so {@link parseRttm} skips them instead of rejecting them.
 */
const OTHER_RTTM_TYPES = new Set([
  'SEGMENT',
  'NOSCORE',
  'NO_RT_METADATA',
  'LEXEME',
  'NON-LEX',
  'NON-SPEECH',
  'FILLER',
  'EDIT',
  'IP',
  'SU',
  'CB',
  'A/P',
  'SPKR-INFO',
]);

/** Strict decimal number (no hex, no `Infinity`, no empty string). */
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseField(value: string, what: string, lineNo: number): number {
  if (!NUMBER_RE.test(value)) {
    throw new Error(`RTTM line ${lineNo}: ${what} "${value}" is not a number`);
  }
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`RTTM line ${lineNo}: ${what} ${value} must be a finite number ≥ 0`);
  }
  return n;
}

/**
 * Parses RTTM text into speaker turns grouped by file id.
 *
 * Only `SPEAKER` records produce turns; blank lines and `;;` comment lines are ignored, as are the
 * other NIST record types (`SPKR-INFO`, `LEXEME`, …). The trailing `<NA>` fields may be omitted
 * (at least the eight fields up to the speaker name are required). Turns keep file order.
 *
 * @param text RTTM content (any line ending).
 * @returns file id → turns, `start`/`end` in seconds (`end = start + duration`).
 * @throws Error naming the 1-based line number when a line has an unknown record type, fewer
 *   than eight fields, or a start/duration that is not a finite number ≥ 0.
 */
export function parseRttm(text: string): Map<string, SpeakerSegment[]> {
  const out = new Map<string, SpeakerSegment[]>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].trim();
    if (line === '' || line.startsWith(';;')) continue;
    const fields = line.split(/\s+/);
    const type = fields[0];
    if (type !== 'SPEAKER') {
      if (OTHER_RTTM_TYPES.has(type)) continue;
      throw new Error(`RTTM line ${lineNo}: unknown record type "${type}"`);
    }
    if (fields.length < 8) {
      throw new Error(`RTTM line ${lineNo}: expected at least 8 fields, got ${fields.length}`);
    }
    const fileId = fields[1];
    const start = parseField(fields[3], 'start', lineNo);
    const duration = parseField(fields[4], 'duration', lineNo);
    const speaker = fields[7];
    let turns = out.get(fileId);
    if (!turns) {
      turns = [];
      out.set(fileId, turns);
    }
    turns.push({ start, end: start + duration, speaker });
  }
  return out;
}

/** Seconds → integer milliseconds, so that start and duration round consistently. */
function toMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

function formatMs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * Writes speaker turns of one file as RTTM `SPEAKER` lines (channel 1), sorted by start time
 * (then end, then speaker name). Start and end are rounded to the millisecond first and the
 * duration is their difference, so a parse of the output reproduces the rounded turns exactly.
 *
 * @param fileId recording id; must be non-empty and contain no whitespace.
 * @param segments turns in seconds; `0 ≤ start ≤ end`, finite; speaker names without whitespace.
 * @returns the RTTM text, one line per turn, each ending with `\n` (empty string for no turns).
 * @throws Error when the file id or a speaker name is empty or contains whitespace, or a turn has
 *   non-finite, negative or reversed times.
 */
export function formatRttm(fileId: string, segments: readonly SpeakerSegment[]): string {
  if (fileId === '' || /\s/.test(fileId)) {
    throw new Error(`RTTM file id ${JSON.stringify(fileId)} must be non-empty and contain no whitespace`);
  }
  for (const s of segments) {
    if (s.speaker === '' || /\s/.test(s.speaker)) {
      throw new Error(
        `RTTM speaker name ${JSON.stringify(s.speaker)} must be non-empty and contain no whitespace`,
      );
    }
    if (!Number.isFinite(s.start) || !Number.isFinite(s.end) || s.start < 0 || s.end < s.start) {
      throw new Error(`RTTM turn ${s.start}–${s.end} of ${s.speaker}: need finite 0 ≤ start ≤ end`);
    }
  }
  const sorted = [...segments].sort(
    (a, b) =>
      a.start - b.start || a.end - b.end || (a.speaker < b.speaker ? -1 : a.speaker > b.speaker ? 1 : 0),
  );
  let text = '';
  for (const s of sorted) {
    const startMs = toMs(s.start);
    const durMs = toMs(s.end) - startMs;
    text += `SPEAKER ${fileId} 1 ${formatMs(startMs)} ${formatMs(durMs)} <NA> <NA> ${s.speaker} <NA> <NA>\n`;
  }
  return text;
}

/**
 * Union of the given intervals (e.g. all speaker turns: the regions where anyone speaks).
 * Overlapping and touching intervals are merged; empty intervals (`end ≤ start`) are dropped.
 *
 * @param segments intervals in seconds (any extra fields such as `speaker` are ignored).
 * @returns disjoint, non-touching intervals sorted by start; `[]` for no input.
 */
export function speechRegions<T extends TimeInterval>(segments: readonly T[]): TimeInterval[] {
  const sorted = segments.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: TimeInterval[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) {
      if (s.end > last.end) last.end = s.end;
    } else {
      out.push({ start: s.start, end: s.end });
    }
  }
  return out;
}
