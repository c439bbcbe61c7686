/**
 * "Remember this voice": a button that opens an inline form asking for a name and the consent
 * given, then keeps the speaker's voice in the library through `save` (enrollment from an
 * analysed call in Files and History, or from a live session in Live).
 */
import { useState } from 'react';

import type { Voiceprint } from '../../src-shared/contracts/voiceprints.ts';
import { errorText } from '../state.ts';

export function RememberVoice({
  speakerId,
  speakerLabel,
  save,
}: {
  speakerId: string;
  speakerLabel: string;
  save: (name: string, consent: string) => Promise<Voiceprint>;
}): React.JSX.Element {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [consent, setConsent] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  if (saved) return <span className="tag ok">saved as {saved}</span>;
  if (!open)
    return (
      <button className="small" onClick={() => setOpen(true)} data-testid={`remember-${speakerId}`}>
        Remember this voice
      </button>
    );
  const submit = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    try {
      const v = await save(name, consent);
      setSaved(v.name);
      setOpen(false);
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label={`Remember ${speakerLabel}`}>
      <input
        autoFocus
        required
        placeholder="Name"
        aria-label="Name"
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <input
        required
        placeholder="Consent (how, when)"
        aria-label="Consent"
        value={consent}
        onChange={(e) => setConsent(e.target.value)}
      />
      <button type="submit" className="small primary">
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
