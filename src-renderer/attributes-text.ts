/**
 * How a speaker's age/gender estimate is worded (file results, history, live cards): estimates are
 * shown with their uncertainty, never as fact. The engine's calibrated estimate says itself when
 * it abstains (`gender.answered`, `age.pointShown`, `age.coverage`: src-shared/contracts/analysis.ts);
 * results stored before calibration lack those fields and are judged by their overall confidence
 * against {@link LEGACY_MIN_CONFIDENCE}.
 */
import type { SpeakerAttributes } from '../src-shared/contracts/analysis.ts';

/**
 * Overall confidence (0..1) below which an uncalibrated estimate (no `answered` / `pointShown`)
 * is shown as uncertain: gender as "uncertain", age as its interval only. 0.6 is the value the UI
 * review asked for (issue 15), above the 0.2–0.45 confidences of the misleading "child 12 %" cards.
 */
export const LEGACY_MIN_CONFIDENCE = 0.6;

const years = (v: number): number => Math.max(0, Math.round(v));

/** The gender part: "female (82 %)" or "gender uncertain". */
export function genderText(a: SpeakerAttributes): string | null {
  const g = a.gender;
  if (!g) return null;
  const p = Math.max(g.probs.female, g.probs.male, g.probs.child);
  const answered = g.answered ?? (a.confidence ?? p) >= LEGACY_MIN_CONFIDENCE;
  return answered ? `${g.label} (${Math.round(100 * p)} %)` : 'gender uncertain';
}

/**
 * The age part: "~34 y (25–43 y)" when the point estimate may be shown, else the interval and
 * bracket only: "age 20–62 y (adult)"; with the interval's nominal coverage when known ("80 %
 * range"). An interval is written as whole years, clamped at 0.
 */
export function ageText(a: SpeakerAttributes): string | null {
  const age = a.age;
  if (!age) return null;
  const [lo, hi] = age.interval;
  const range = `${years(lo)}–${years(hi)} y`;
  const cov = age.coverage !== undefined ? `, ${Math.round(100 * age.coverage)} % range` : '';
  const point = age.pointShown ?? (a.confidence ?? 0) >= LEGACY_MIN_CONFIDENCE;
  return point ? `~${years(age.years)} y (${range}${cov})` : `age ${range} (${age.bracket}${cov})`;
}

/** The whole attributes line of a speaker; never a bare label for an abstained estimate. */
export function attributesText(a: SpeakerAttributes | null | undefined): string {
  if (!a) return 'age/gender: gathering evidence';
  if (a.status === 'not_run') return 'age/gender: not estimated';
  if (a.status === 'undetermined') return `age/gender: undetermined${a.reason ? ` (${a.reason})` : ''}`;
  const parts = [genderText(a), ageText(a)].filter((p): p is string => !!p);
  return parts.length ? parts.join(' · ') : 'age/gender: undetermined';
}
