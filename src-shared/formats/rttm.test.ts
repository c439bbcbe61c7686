import { describe, it, expect } from 'vitest';

import { formatRttm, parseRttm, speechRegions } from './rttm.ts';
import type { SpeakerSegment } from './rttm.ts';

describe('parseRttm', () => {
  it('parses SPEAKER lines grouped by file id, skipping blanks, comments and other record types', () => {
    const text = [
      ';; a comment',
      '',
      'SPEAKER rec1 1 3.168 0.800 <NA> <NA> MEO069 <NA> <NA>',
      'SPKR-INFO rec1 1 <NA> <NA> <NA> unknown MEO069 <NA> <NA>',
      '   ',
      'SPEAKER rec2 1 0 1.5 <NA> <NA> A <NA> <NA>',
      'SPEAKER\trec1\t1\t5.463\t0.640\t<NA>\t<NA>\tMEE068\t<NA>\t<NA>\r',
      'SPEAKER rec2 1 2 1 <NA> <NA> B', // trailing <NA> fields omitted
    ].join('\n');
    const parsed = parseRttm(text);
    expect([...parsed.keys()]).toEqual(['rec1', 'rec2']);
    const rec1 = parsed.get('rec1')!;
    expect(rec1).toHaveLength(2);
    expect(rec1[0].speaker).toBe('MEO069');
    expect(rec1[0].start).toBeCloseTo(3.168, 9);
    expect(rec1[0].end).toBeCloseTo(3.968, 9);
    expect(rec1[1]).toMatchObject({ speaker: 'MEE068' });
    expect(rec1[1].end).toBeCloseTo(6.103, 9);
    expect(parsed.get('rec2')).toEqual([
      { start: 0, end: 1.5, speaker: 'A' },
      { start: 2, end: 3, speaker: 'B' },
    ]);
  });

  it('returns an empty map for empty or comment-only text', () => {
    expect(parseRttm('').size).toBe(0);
    expect(parseRttm(';; nothing\n\n').size).toBe(0);
  });

  it('throws errors naming the line number of malformed lines', () => {
    const ok = 'SPEAKER f 1 0.0 1.0 <NA> <NA> A <NA> <NA>';
    expect(() => parseRttm(`${ok}\nSPEAKER f 1 abc 1.0 <NA> <NA> A <NA> <NA>`)).toThrow(/line 2.*start/);
    expect(() => parseRttm(`${ok}\n\nSPEAKER f 1 1.0 -2 <NA> <NA> A <NA> <NA>`)).toThrow(/line 3.*duration/);
    expect(() => parseRttm('SPEAKER f 1 0.0 1.0')).toThrow(/line 1.*at least 8 fields/);
    expect(() => parseRttm(`${ok}\nfoo bar`)).toThrow(/line 2.*unknown record type/);
    expect(() => parseRttm('SPEAKER f 1 Infinity 1.0 <NA> <NA> A <NA> <NA>')).toThrow(/line 1/);
    expect(() => parseRttm('SPEAKER f 1 0x10 1.0 <NA> <NA> A <NA> <NA>')).toThrow(/line 1/);
  });
});

describe('formatRttm', () => {
  it('writes sorted lines with 3 decimals that parse back to the same turns (round trip)', () => {
    const segments: SpeakerSegment[] = [
      { start: 5.5, end: 7.25, speaker: 'spk_1' },
      { start: 0, end: 2.1234, speaker: 'spk_0' },
      { start: 1.0004, end: 3, speaker: 'spk_1' },
    ];
    const text = formatRttm('call-01', segments);
    // 2.1234 rounds to 2.123; 1.0004 rounds to 1.000, so its duration is 3.000 − 1.000 = 2.000.
    expect(text).toBe(
      'SPEAKER call-01 1 0.000 2.123 <NA> <NA> spk_0 <NA> <NA>\n' +
        'SPEAKER call-01 1 1.000 2.000 <NA> <NA> spk_1 <NA> <NA>\n' +
        'SPEAKER call-01 1 5.500 1.750 <NA> <NA> spk_1 <NA> <NA>\n',
    );
    const back = parseRttm(text).get('call-01')!;
    expect(back).toHaveLength(3);
    const sorted = [...segments].sort((a, b) => a.start - b.start);
    back.forEach((s, i) => {
      expect(s.speaker).toBe(sorted[i].speaker);
      expect(s.start).toBeCloseTo(sorted[i].start, 3);
      expect(s.end).toBeCloseTo(sorted[i].end, 3);
    });
    // Formatting the parsed turns again is a fixed point.
    expect(formatRttm('call-01', back)).toBe(text);
  });

  it('returns an empty string for no segments', () => {
    expect(formatRttm('x', [])).toBe('');
  });

  it('rejects file ids or speaker names with whitespace, and invalid times', () => {
    expect(() => formatRttm('my call', [])).toThrow(/file id/);
    expect(() => formatRttm('a\tb', [])).toThrow(/file id/);
    expect(() => formatRttm('', [])).toThrow(/file id/);
    expect(() => formatRttm('f', [{ start: 0, end: 1, speaker: 'John Doe' }])).toThrow(/speaker/);
    expect(() => formatRttm('f', [{ start: 2, end: 1, speaker: 'A' }])).toThrow(/start ≤ end/);
    expect(() => formatRttm('f', [{ start: -1, end: 1, speaker: 'A' }])).toThrow();
    expect(() => formatRttm('f', [{ start: 0, end: NaN, speaker: 'A' }])).toThrow();
  });
});

describe('speechRegions', () => {
  it('merges overlapping and touching turns of all speakers, sorted', () => {
    // A 5–8 and B 7–9 overlap → 5–9; C 9–10 touches → 5–10; A 0–1 apart; empty 12–12 dropped.
    const regions = speechRegions([
      { start: 5, end: 8, speaker: 'A' },
      { start: 0, end: 1, speaker: 'A' },
      { start: 7, end: 9, speaker: 'B' },
      { start: 9, end: 10, speaker: 'C' },
      { start: 12, end: 12, speaker: 'C' },
      { start: 6, end: 7, speaker: 'D' },
    ]);
    expect(regions).toEqual([
      { start: 0, end: 1 },
      { start: 5, end: 10 },
    ]);
    expect(speechRegions([])).toEqual([]);
  });

  it('does not mutate its input', () => {
    const input = [
      { start: 0, end: 2 },
      { start: 1, end: 3 },
    ];
    speechRegions(input);
    expect(input).toEqual([
      { start: 0, end: 2 },
      { start: 1, end: 3 },
    ]);
  });
});
