/**
 * The Live view's level meters: the latest level of the microphone and the system channel as a
 * bar over −60…0 dBFS (an ARIA `meter` each) and as text; "—" before any audio (the live model
 * starts at −120 dBFS).
 */
import type { LiveModel } from '../live-model.ts';

/** Bar width in percent for a level in dBFS: −60 dBFS (and below) → 0, 0 dBFS → 100. */
const pct = (dbfs: number): number => Math.max(0, Math.min(100, ((dbfs + 60) / 60) * 100));

export function LevelMeters({ levels }: { levels: LiveModel['levels'] }): React.JSX.Element {
  return (
    <div className="meters" aria-label="Levels">
      {(['mic', 'system'] as const).map((c) => (
        <div key={c} className="meter">
          <span>{c === 'mic' ? 'Microphone' : 'System'}</span>
          <div
            className="progress"
            role="meter"
            aria-label={`${c} level`}
            aria-valuemin={-60}
            aria-valuemax={0}
            aria-valuenow={Math.round(levels[c])}
          >
            <div className="bar" style={{ width: `${pct(levels[c])}%` }} />
          </div>
          <span className="muted small-text">{levels[c] <= -119 ? '—' : `${levels[c].toFixed(0)} dBFS`}</span>
        </div>
      ))}
    </div>
  );
}
