import { describe, expect, it } from 'vitest';

import { LIVE_SPEAKER_KEY_RE, LiveSpeakerKeySchema, liveSpeakerKey, parseLiveSpeakerKey } from './live.ts';

describe('live speaker-key grammar (issue 17: one definition)', () => {
  it('accepts you, S<n> and L<n>, n from 1 without leading zeros', () => {
    for (const k of ['you', 'S1', 'S12', 'S9999', 'L1', 'L2', 'L9999'])
      expect(LiveSpeakerKeySchema.safeParse(k).success, k).toBe(true);
  });

  it('refuses everything else', () => {
    for (const k of [
      '',
      'You',
      'you1',
      'S',
      'S0',
      'S01',
      'L0',
      'l1',
      's1',
      'M1',
      'S10000',
      ' L1',
      'L1 ',
      '../x',
      'S1\n',
    ])
      expect(LiveSpeakerKeySchema.safeParse(k).success, JSON.stringify(k)).toBe(false);
  });

  it('builds keys from 0-based diarizer indices and reads them back', () => {
    expect(liveSpeakerKey('system', 0)).toBe('S1');
    expect(liveSpeakerKey('mic', 1)).toBe('L2');
    expect(() => liveSpeakerKey('mic', -1)).toThrow(RangeError);
    expect(() => liveSpeakerKey('mic', 0.5)).toThrow(RangeError);
    for (const [channel, index] of [
      ['system', 41],
      ['mic', 0],
    ] as const) {
      const key = liveSpeakerKey(channel, index);
      expect(key).toMatch(LIVE_SPEAKER_KEY_RE);
      expect(parseLiveSpeakerKey(key)).toEqual({ channel, n: index + 1 });
    }
    expect(parseLiveSpeakerKey('you')).toEqual({ channel: 'mic', n: null });
    expect(parseLiveSpeakerKey('S0')).toBeNull();
  });
});
