import { describe, expect, it } from 'vitest';

import {
  buildLanes,
  firstVisible,
  formatClock,
  syntheticTurns,
  talkTime,
  visibleTurns,
} from './timeline-model.ts';

describe('timeline layout', () => {
  const turns = syntheticTurns(['you', 'S1', 'S2', 'S3'], 1800);
  const lanes = buildLanes(
    [
      { id: 'S1', label: 'Speaker 1' },
      { id: 'you', label: 'You' },
      { id: 'S2', label: 'Speaker 2' },
      { id: 'S3', label: 'Speaker 3' },
    ],
    turns,
  );

  it('puts the You lane first and every turn in its speaker lane', () => {
    expect(lanes[0].speakerId).toBe('you');
    const firsts = lanes.slice(1).map((l) => l.turns[0].startS);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    expect(lanes).toHaveLength(4);
    expect(lanes.reduce((n, l) => n + l.turns.length, 0)).toBe(turns.length);
    for (const l of lanes) expect(l.turns.every((t) => t.speakerId === l.speakerId)).toBe(true);
  });

  it('one rule for file, live and history: You, then each channel by first appearance; no 0:00 lanes', () => {
    const t = (speakerId: string, startS: number, endS: number, channel: 'mic' | 'system') => ({
      speakerId,
      startS,
      endS,
      channel,
      overlap: false,
    });
    const got = buildLanes(
      [
        { id: 'S4', label: 'Unknown 4', channel: 'system' },
        { id: 'S5', label: 'Unknown 5', channel: 'system' },
        { id: 'M2', label: 'Mic 2', channel: 'mic' },
        { id: 'you', label: 'Unknown 1', channel: 'mic' },
        { id: 'S9', label: 'Unknown 9', channel: 'system' },
        { id: 'S7', label: 'Speaker 7', channel: 'system' },
      ],
      [
        t('S5', 1, 4, 'system'),
        t('S4', 6, 9, 'system'),
        t('M2', 8, 10, 'mic'),
        t('you', 12, 14, 'mic'),
        t('S9', 3, 3.2, 'system'),
        t('S7', 20, 22, 'system'),
      ],
    );
    // "You" (a stored result's "Unknown 1" on the mic shows as You), the other mic speaker, then
    // the remote speakers by first turn; S9 spoke 0.2 s (0:00) and gets no lane
    expect(got.map((l) => [l.speakerId, l.label])).toEqual([
      ['you', 'You'],
      ['M2', 'Mic 2'],
      ['S5', 'Unknown 5'],
      ['S4', 'Unknown 4'],
      ['S7', 'Unknown 7'], // a live speaker's provisional "Speaker 7"
    ]);
  });

  it('finds exactly the turns intersecting a window (binary search = linear scan)', () => {
    for (const lane of lanes) {
      for (const [a, b] of [
        [0, 60],
        [900, 960],
        [1700, 1800],
      ]) {
        const expected = lane.turns.filter((t) => t.endS > a && t.startS < b);
        expect(visibleTurns(lane.turns, a, b)).toEqual(expected);
      }
      expect(firstVisible(lane.turns, 1e9)).toBe(lane.turns.length);
    }
  });

  it('sums talk time and formats clocks', () => {
    const tt = talkTime([
      { startS: 0, endS: 2, speakerId: 'a', channel: 'mono', overlap: false },
      { startS: 3, endS: 4.5, speakerId: 'a', channel: 'mono', overlap: false },
    ]);
    expect(tt.get('a')).toBeCloseTo(3.5);
    expect(formatClock(65)).toBe('1:05');
    expect(formatClock(3725)).toBe('1:02:05');
  });
});
