import { describe, expect, it } from 'vitest';

import { applyLiveEvent, emptyLive, liveTurns } from './live-model.ts';

describe('live event model', () => {
  it('grows open turns to now, finalises turns and follows speaker merges', () => {
    const m = emptyLive();
    applyLiveEvent(m, { type: 'session', state: 'started', t_s: 0, call_id: 7, source: 'replay' });
    applyLiveEvent(m, { type: 'turn_start', channel: 'mic', speaker: 'you', label: 'You', start_s: 1 });
    applyLiveEvent(m, {
      type: 'turn_start',
      channel: 'system',
      speaker: 'S2',
      label: 'Unknown 2',
      start_s: 2,
    });
    applyLiveEvent(m, { type: 'levels', t_s: 3, mic_dbfs: -20, system_dbfs: -30, bleed_db: null });
    expect(liveTurns(m).map((t) => [t.speakerId, t.startS, t.endS])).toEqual([
      ['you', 1, 3],
      ['S2', 2, 3],
    ]);
    applyLiveEvent(m, {
      type: 'turn',
      channel: 'mic',
      speaker: 'you',
      label: 'You',
      start_s: 1,
      end_s: 3.5,
      clean_speech_s: 2.1,
    });
    expect(m.speakers.get('you')!.cleanSpeechS).toBe(2.1);
    applyLiveEvent(m, {
      type: 'speaker',
      change: 'new',
      speaker: 'S1',
      channel: 'system',
      label: 'Unknown 1',
      t_s: 3.5,
    });
    applyLiveEvent(m, {
      type: 'speaker',
      change: 'merged',
      speaker: 'S2',
      channel: 'system',
      label: 'Unknown 1',
      t_s: 4,
      into: 'S1',
    });
    expect(m.callId).toBe(7);
    expect(m.speakers.get('S2')?.merged).toBe(true);
    expect(liveTurns(m).map((t) => t.speakerId)).toEqual(['you', 'S1']);
    applyLiveEvent(m, {
      type: 'quality',
      channel: 'mic',
      flag: 'clipping',
      active: true,
      t_s: 4,
      message: 'mic clipping',
    });
    expect([...m.warnings.values()]).toEqual(['Microphone: mic clipping']);
    applyLiveEvent(m, {
      type: 'quality',
      channel: 'mic',
      flag: 'clipping',
      active: false,
      t_s: 5,
      message: '',
    });
    expect(m.warnings.size).toBe(0);
  });

  it('keeps the identification status of a speaker named from the library', () => {
    const m = emptyLive();
    applyLiveEvent(m, {
      type: 'speaker',
      change: 'new',
      speaker: 'S1',
      channel: 'system',
      label: 'Speaker 1',
      t_s: 1,
    });
    expect(m.speakers.get('S1')?.status).toBeUndefined();
    applyLiveEvent(m, {
      type: 'speaker',
      change: 'identified',
      speaker: 'S1',
      channel: 'system',
      label: 'Ann',
      t_s: 2,
      status: 'known',
      similarity: 0.7,
    });
    expect(m.speakers.get('S1')).toMatchObject({ label: 'Ann', status: 'known' });
  });

  it('warnings name their channel, show once, clear when the channel speaks again and on Stop', () => {
    const m = emptyLive();
    applyLiveEvent(m, { type: 'session', state: 'started', t_s: 0, call_id: 1, source: 'replay' });
    const silent = (channel: 'mic' | 'system', t_s: number) =>
      applyLiveEvent(m, {
        type: 'quality',
        channel,
        flag: 'silence',
        active: true,
        t_s,
        message: 'silent for the last 5 s',
      });
    silent('mic', 5);
    silent('system', 5);
    silent('mic', 6); // repeated: still one
    expect([...m.warnings.values()]).toEqual([
      'Microphone: silent for the last 5 s',
      'System audio: silent for the last 5 s',
    ]);
    applyLiveEvent(m, { type: 'vad', t_s: 7, mic: false, system: true, local: false });
    expect([...m.warnings.values()]).toEqual(['Microphone: silent for the last 5 s']);
    applyLiveEvent(m, {
      type: 'session',
      state: 'stopped',
      t_s: 8,
      call_id: 1,
      source: 'replay',
    });
    expect(m.warnings.size).toBe(0);
  });
});
