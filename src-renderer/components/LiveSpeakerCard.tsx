/**
 * One speaker of a live session: colour swatch and label (name or "Unknown N"), gender/age
 * estimate worded with its uncertainty, talk time, and either "known voice" (identified from the
 * voiceprint library) or "Remember this voice" (while the session runs and after it ended).
 */
import type { Voiceprint } from '../../src-shared/contracts/voiceprints.ts';
import { attributesText } from '../attributes-text.ts';
import type { LiveSpeaker } from '../live-model.ts';
import { formatClock, type Lane } from '../timeline-model.ts';
import { RememberVoice } from './RememberVoice.tsx';

export function LiveSpeakerCard({
  lane,
  speaker,
  talkS,
  lastSession,
  remember,
}: {
  /** The speaker's timeline lane (label and colour). */
  lane: Lane;
  speaker: LiveSpeaker;
  /** Seconds the speaker has talked so far. */
  talkS: number;
  /** The running or last session id; null before any session (no "Remember" button then). */
  lastSession: string | null;
  /** Enrolls this speaker under `name` with the consent given. */
  remember: (name: string, consent: string) => Promise<Voiceprint>;
}): React.JSX.Element {
  const s = speaker;
  return (
    <div className="speaker-card" data-testid={`live-speaker-${lane.speakerId}`}>
      <div>
        <span className="swatch" style={{ background: lane.color }} /> <strong>{lane.label}</strong>
      </div>
      <div className="muted small-text" data-testid="attributes">
        {attributesText(s.attributes)}
      </div>
      <div>{formatClock(talkS)}</div>
      {s.status === 'known' ? (
        <span className="tag ok">known voice</span>
      ) : (
        lastSession && (
          <RememberVoice
            key={`${lastSession}:${s.id}`}
            speakerId={s.id}
            speakerLabel={lane.label}
            speechS={s.cleanSpeechS ?? 0}
            save={remember}
          />
        )
      )}
    </div>
  );
}
