/**
 * Folds live events (src-shared/contracts/live.ts) into what the Live view draws: finalised and
 * open turns per speaker, speaker labels and attributes, levels, active quality warnings, the
 * session clock. Pure; the view batches redraws to animation frames.
 */
import type { SpeakerAttributes, Turn } from '../src-shared/contracts/analysis.ts';
import type { LiveChannel, LiveEvent } from '../src-shared/contracts/live.ts';
import type { IdentificationStatus } from '../src-shared/contracts/voiceprints.ts';

export interface LiveSpeaker {
  id: string;
  label: string;
  channel: LiveChannel;
  attributes: SpeakerAttributes | null;
  merged: boolean;
  /** Identification from the voiceprint library, once the session has decided. */
  status?: IdentificationStatus;
  /** Seconds of clear speech the session keeps for it (from its last turn event), what enrollment uses. */
  cleanSpeechS?: number;
}

export interface LiveModel {
  nowS: number;
  turns: Turn[];
  open: Map<string, { startS: number; channel: LiveChannel }>;
  speakers: Map<string, LiveSpeaker>;
  levels: { mic: number; system: number };
  vad: { mic: boolean; system: boolean; local: boolean };
  /**
   * Active warnings by `channel:flag` (`device:channel` for capture problems), each worded with
   * the channel it concerns; one per key, so a repeated event never shows twice.
   */
  warnings: Map<string, string>;
  callId: number | null;
  state: 'idle' | 'running' | 'stopped';
}

export const emptyLive = (): LiveModel => ({
  nowS: 0,
  turns: [],
  open: new Map(),
  speakers: new Map([['you', { id: 'you', label: 'You', channel: 'mic', attributes: null, merged: false }]]),
  levels: { mic: -120, system: -120 },
  vad: { mic: false, system: false, local: false },
  warnings: new Map(),
  callId: null,
  state: 'idle',
});

const speaker = (m: LiveModel, id: string, channel: LiveChannel, label: string): LiveSpeaker => {
  let s = m.speakers.get(id);
  if (!s) m.speakers.set(id, (s = { id, label, channel, attributes: null, merged: false }));
  return s;
};

/** How the channels are named to the user in warnings. */
export const CHANNEL_NAME: Record<LiveChannel, string> = { mic: 'Microphone', system: 'System audio' };

/** Warnings that activity on `channel` disproves (silence, low volume, a stalled device). */
function clearActivityWarnings(m: LiveModel, channel: LiveChannel): void {
  m.warnings.delete(`${channel}:silence`);
  m.warnings.delete(`${channel}:low_volume`);
  if (m.warnings.has(`device:${channel}`) && /stall/i.test(m.warnings.get(`device:${channel}`)!))
    m.warnings.delete(`device:${channel}`);
}

/** Applies one event to the model (mutates it). */
export function applyLiveEvent(m: LiveModel, e: LiveEvent): void {
  if ('t_s' in e) m.nowS = Math.max(m.nowS, e.t_s);
  switch (e.type) {
    case 'session':
      m.state = e.state === 'started' ? 'running' : 'stopped';
      m.callId = e.call_id;
      // nothing is being captured any more: no warning about the capture stays up
      if (e.state === 'stopped') m.warnings.clear();
      break;
    case 'levels':
      m.levels = { mic: e.mic_dbfs, system: e.system_dbfs };
      break;
    case 'vad':
      m.vad = { mic: e.mic, system: e.system, local: e.local };
      // speech on a channel ends its "silent"/"too quiet"/"stalled" warnings at once
      for (const c of ['mic', 'system'] as const) if (e[c]) clearActivityWarnings(m, c);
      break;
    case 'turn_start':
      speaker(m, e.speaker, e.channel, e.label);
      m.open.set(e.speaker, { startS: e.start_s, channel: e.channel });
      m.nowS = Math.max(m.nowS, e.start_s);
      break;
    case 'turn': {
      const s = speaker(m, e.speaker, e.channel, e.label);
      if (e.clean_speech_s !== undefined) s.cleanSpeechS = e.clean_speech_s;
      m.open.delete(e.speaker);
      m.turns.push({
        startS: e.start_s,
        endS: e.end_s,
        speakerId: e.speaker,
        channel: e.channel,
        overlap: false,
      });
      m.nowS = Math.max(m.nowS, e.end_s);
      break;
    }
    case 'speaker': {
      const s = speaker(m, e.speaker, e.channel, e.label);
      s.label = e.label;
      if (e.status) s.status = e.status;
      if (e.change === 'merged' && e.into) {
        s.merged = true;
        for (const t of m.turns) if (t.speakerId === e.speaker) t.speakerId = e.into;
        const o = m.open.get(e.speaker);
        if (o) {
          m.open.delete(e.speaker);
          if (!m.open.has(e.into)) m.open.set(e.into, o);
        }
      }
      break;
    }
    case 'attributes':
      speaker(m, e.speaker, 'system', e.speaker).attributes = e.attributes;
      break;
    case 'quality':
      if (e.active) m.warnings.set(`${e.channel}:${e.flag}`, `${CHANNEL_NAME[e.channel]}: ${e.message}`);
      else m.warnings.delete(`${e.channel}:${e.flag}`);
      break;
    case 'device':
      if (e.state !== 'ended')
        m.warnings.set(
          `device:${e.channel}`,
          e.channel ? `${CHANNEL_NAME[e.channel]}: ${e.message}` : e.message,
        );
      break;
  }
}

/** Finalised turns plus the open ones up to now, speakers in lane order (merged ones dropped). */
export function liveTurns(m: LiveModel): Turn[] {
  const open: Turn[] = [...m.open].map(([id, o]) => ({
    startS: o.startS,
    endS: Math.max(o.startS + 0.05, m.nowS),
    speakerId: id,
    channel: o.channel,
    overlap: false,
  }));
  return [...m.turns, ...open];
}
