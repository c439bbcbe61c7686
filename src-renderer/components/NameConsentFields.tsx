/**
 * The two required fields of every enrollment form (Library "Enroll from a file", "Remember this
 * voice"): the voiceprint's name and how/when the person consented (voiceprints are biometric
 * data: no voiceprint is kept without it).
 */
export function NameConsentFields({
  name,
  consent,
  onName,
  onConsent,
  autoFocus = false,
}: {
  name: string;
  consent: string;
  onName: (v: string) => void;
  onConsent: (v: string) => void;
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
      <input
        required
        placeholder="Consent (how, when)"
        aria-label="Consent"
        value={consent}
        onChange={(e) => onConsent(e.target.value)}
      />
    </>
  );
}
