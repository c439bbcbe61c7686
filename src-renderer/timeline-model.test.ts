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
    expect(lanes.map((l) => l.speakerId)).toEqual(['you', 'S1', 'S2', 'S3']);
    expect(lanes.reduce((n, l) => n + l.turns.length, 0)).toBe(turns.length);
    for (const l of lanes) expect(l.turns.every((t) => t.speakerId === l.speakerId)).toBe(true);
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
