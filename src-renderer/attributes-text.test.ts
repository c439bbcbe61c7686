import { describe, expect, it } from 'vitest';

import type { SpeakerAttributes } from '../src-shared/contracts/analysis.ts';
import { attributesText } from './attributes-text.ts';

const est = (x: Partial<SpeakerAttributes>): SpeakerAttributes => ({
  status: 'estimated',
  speechUsedS: 10,
  ...x,
});

describe('attributes wording', () => {
  it('an abstained gender is "uncertain" and a wide age interval replaces the point', () => {
    const a = est({
      gender: { label: 'child', probs: { female: 0.25, male: 0.03, child: 0.72 }, answered: false },
      age: { years: 13.3, bracket: '13–17', interval: [1.9, 24.7], coverage: 0.8, pointShown: false },
      confidence: 0.9,
    });
    const t = attributesText(a);
    expect(t).toBe('gender uncertain · age 2–25 y (13–17, 80 % range)');
    expect(t).not.toMatch(/child|13 y|~/);
  });

  it('a confident calibrated estimate shows the label, its probability and the point', () => {
    const a = est({
      gender: { label: 'female', probs: { female: 0.91, male: 0.08, child: 0.01 }, answered: true },
      age: { years: 34.4, bracket: '25–44', interval: [27, 42], coverage: 0.8, pointShown: true },
      confidence: 0.3,
    });
    expect(attributesText(a)).toBe('female (91 %) · ~34 y (27–42 y, 80 % range)');
  });

  it('old results without the calibrated fields: confidence < 0.6 is uncertain', () => {
    const low = est({
      gender: { label: 'male', probs: { female: 0.51, male: 0.49, child: 0 } },
      age: { years: 10, bracket: 'under 13', interval: [2, 30] },
      confidence: 0.12,
    });
    expect(attributesText(low)).toBe('gender uncertain · age 2–30 y (under 13)');
    const high = est({ ...low, confidence: 0.8 });
    expect(attributesText(high)).toBe('male (51 %) · ~10 y (2–30 y)');
  });

  it('not run, undetermined and no estimate yet are said as such', () => {
    expect(attributesText({ status: 'not_run', speechUsedS: 0 })).toBe('age/gender: not estimated');
    expect(attributesText({ status: 'undetermined', speechUsedS: 1, reason: 'too little speech' })).toBe(
      'age/gender: undetermined (too little speech)',
    );
    expect(attributesText(null)).toBe('age/gender: gathering evidence');
  });
});
