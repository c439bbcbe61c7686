/**
 * The required fields of every enrollment form (Library "Enroll from a file", "Remember this
 * voice"): the voiceprint's name, an explicit consent checkbox, and the consent record (how and
 * when the person agreed). Voiceprints are biometric data: no voiceprint is kept without both.
 * The engine stores the free text; the checkbox only gates the Save button.
 */
export function NameConsentFields({
  name,
  consent,
  agreed,
  onName,
  onConsent,
  onAgreed,
  autoFocus = false,
}: {
  name: string;
  consent: string;
  /** Whether the consent checkbox is ticked. */
  agreed: boolean;
  onName: (v: string) => void;
  onConsent: (v: string) => void;
  onAgreed: (v: boolean) => void;
  autoFocus?: boolean;
}): React.JSX.Element {
  return (
    <>
      <input
        autoFocus={autoFocus}
        required
        placeholder="Name"
        aria-label="Name"
        value={name}
        onChange={(e) => onName(e.target.value)}
      />
      <label className="consent-check">
        <input type="checkbox" required checked={agreed} onChange={(e) => onAgreed(e.target.checked)} />
        This person agreed to have their voice remembered
      </label>
      <input
        required
        placeholder="How and when they agreed"
        aria-label="Consent record"
        value={consent}
        onChange={(e) => onConsent(e.target.value)}
      />
    </>
  );
}
