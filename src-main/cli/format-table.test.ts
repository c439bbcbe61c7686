import { describe, expect, it } from 'vitest';

import type { SpeakerAttributes } from '../../src-shared/contracts/analysis.ts';
import { attributesText } from './format-table.ts';

const estimated = (over: Partial<SpeakerAttributes>): SpeakerAttributes => ({
  status: 'estimated',
  speechUsedS: 12,
  gender: { label: 'child', probs: { female: 0.3, male: 0.2, child: 0.5 }, answered: false },
  age: { years: 11.2, bracket: 'adult, 20–80', interval: [20, 80], coverage: 0.8, pointShown: false },
  confidence: 0.3,
  ...over,
});

describe('attributesText (CLI age/gender cell)', () => {
  it('shows "uncertain" and the interval instead of a low-confidence label and point age', () => {
    const text = attributesText(estimated({}));
    expect(text).toBe('gender uncertain, age adult, 20–80');
    expect(text).not.toMatch(/child|11/);
  });

  it('shows an answered label and the point age when the interval is narrow', () => {
    const text = attributesText(
      estimated({
        gender: { label: 'female', probs: { female: 0.95, male: 0.03, child: 0.02 }, answered: true },
        age: { years: 9.4, bracket: 'child, 6–14', interval: [6.2, 14.1], coverage: 0.8, pointShown: true },
      }),
    );
    expect(text).toBe('female, 9 y (6–14)');
  });

  it('keeps the reason of an undetermined state and renders results stored before calibration', () => {
    expect(
      attributesText({ status: 'undetermined', speechUsedS: 2.1, reason: 'only 2.1 s of clean speech' }),
    ).toBe('undetermined (only 2.1 s of clean speech)');
    expect(attributesText({ status: 'not_run', speechUsedS: 0 })).toBe('—');
    const legacy = attributesText({
      status: 'estimated',
      speechUsedS: 9,
      gender: { label: 'male', probs: { female: 0.1, male: 0.8, child: 0.1 } },
      age: { years: 31.6, bracket: '31–45', interval: [20, 43] },
    });
    expect(legacy).toBe('male, 32 y (31–45)');
  });
});
