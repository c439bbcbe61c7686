/**
 * "Remember this voice": a button that opens an inline form asking for a name and the consent
 * given, then keeps the speaker's voice in the library through `save` (enrollment from an
 * analysed call in Files and History, or from a live session in Live).
 */
import { useState } from 'react';

import { MIN_ENROLL_SPEECH_S, type Voiceprint } from '../../src-shared/contracts/voiceprints.ts';
import { useAsyncAction } from '../use-async-action.ts';
import { NameConsentFields } from './NameConsentFields.tsx';

export function RememberVoice({
  speakerId,
  speakerLabel,
  speechS,
  save,
}: {
  speakerId: string;
  speakerLabel: string;
  /**
   * Seconds of the speaker's clear speech that enrollment would use (a live speaker's kept
   * evidence, a file speaker's speech); below {@link MIN_ENROLL_SPEECH_S} the button waits.
   */
  speechS?: number;
  save: (name: string, consent: string) => Promise<Voiceprint>;
}): React.JSX.Element {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [consent, setConsent] = useState('');
  const [agreed, setAgreed] = useState(false);
  const { error: msg, run } = useAsyncAction();
  const [saved, setSaved] = useState<string | null>(null);
  if (saved) return <span className="tag ok">saved as {saved}</span>;
  const tooShort = speechS !== undefined && speechS < MIN_ENROLL_SPEECH_S;
  if (!open)
    return (
      <button
        className="small"
        onClick={() => setOpen(true)}
        disabled={tooShort}
        title={
          tooShort
            ? `At least ${MIN_ENROLL_SPEECH_S} s of this speaker's clear speech are needed (${(speechS ?? 0).toFixed(1)} s so far)`
            : undefined
        }
        data-testid={`remember-${speakerId}`}
      >
        {tooShort ? `Remember this voice (needs ${MIN_ENROLL_SPEECH_S} s)` : 'Remember this voice'}
      </button>
    );
  const submit = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    await run(async () => {
      const v = await save(name, consent);
      setSaved(v.name);
      setOpen(false);
    });
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label={`Remember ${speakerLabel}`}>
      <NameConsentFields
        name={name}
        consent={consent}
        agreed={agreed}
        onName={setName}
        onConsent={setConsent}
        onAgreed={setAgreed}
        autoFocus
      />
      <button type="submit" className="small primary" disabled={!agreed}>
        Save
      </button>
      <button type="button" className="small ghost" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {msg && (
        <span className="error-text small-text" role="alert">
          {msg}
        </span>
      )}
    </form>
  );
}
