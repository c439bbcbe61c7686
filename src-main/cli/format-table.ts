/** Human-readable rendering of an analysis result for the terminal (cli-table3). */
import Table from 'cli-table3';

import type { AnalysisResult, SpeakerAttributes } from '../../src-shared/contracts/analysis.ts';
import { providerLines } from '../../src-shared/formats/providers.ts';

const clock = (s: number): string => {
  const m = Math.floor(s / 60);
  const sec = s - m * 60;
  return `${String(m).padStart(2, '0')}:${sec.toFixed(1).padStart(4, '0')}`;
};

/**
 * One-line text of a speaker's age/gender that never states a low-confidence guess as fact:
 * - gender: the label only when `answered` (calibrated, above the answer threshold; results stored
 *   before calibration, without `answered`, show the label as before), otherwise `gender uncertain`;
 * - age: `34 y (28–40)` when `pointShown`, otherwise the interval's bracket (`adult, 20–80`);
 *   results without `pointShown` show the point and bracket as before;
 * - `undetermined (reason)` below the evidence threshold, `—` when not run.
 */
export function attributesText(a: SpeakerAttributes): string {
  if (a.status === 'undetermined') return `undetermined${a.reason ? ` (${a.reason})` : ''}`;
  if (a.status !== 'estimated') return '—';
  const g = a.gender;
  const gender = !g ? '?' : g.answered === false ? 'gender uncertain' : g.label;
  const age = a.age;
  let ageText = '?';
  if (age) {
    const [lo, hi] = age.interval;
    if (age.pointShown === undefined) ageText = `${Math.round(age.years)} y (${age.bracket})`;
    else if (age.pointShown) ageText = `${Math.round(age.years)} y (${Math.round(lo)}–${Math.round(hi)})`;
    else ageText = `age ${age.bracket}`;
  }
  return `${gender}, ${ageText}`;
}

/** Renders the speaker summary, quality, the turn-by-turn timeline and each role's execution provider. */
export function formatResultTable(r: AnalysisResult, color = false): string {
  const style = color ? {} : { style: { head: [], border: [] } };
  const lines: string[] = [];
  lines.push(
    `${r.file}: ${r.durationS.toFixed(1)} s, ${r.channels.join('+')}, ${r.speakers.length} speaker(s), ` +
      `RTF ${r.rtf.toFixed(4)} on ${r.executionProvider.name}`,
  );
  const spk = new Table({ head: ['speaker', 'channel', 'speech (s)', 'share', 'age/gender'], ...style });
  const total = r.speakers.reduce((s, x) => s + x.speechS, 0) || 1;
  for (const s of r.speakers) {
    const ag = attributesText(s.attributes);
    spk.push([s.label, s.channel, s.speechS.toFixed(1), `${((100 * s.speechS) / total).toFixed(0)} %`, ag]);
  }
  lines.push(spk.toString());
  const q = new Table({
    head: ['channel', 'level dBFS', 'speech dBFS', 'SNR dB', 'speech', 'clipping', 'flags'],
    ...style,
  });
  for (const c of r.quality) {
    q.push([
      c.channel,
      c.rmsDbfs.toFixed(1),
      c.speechDbfs?.toFixed(1) ?? '—',
      c.snrDb?.toFixed(1) ?? '—',
      `${(100 * c.speechRatio).toFixed(0)} %`,
      `${(100 * c.clippingRatio).toFixed(2)} %`,
      c.flags.join(', ') || 'ok',
    ]);
  }
  lines.push(q.toString());
  const labels = new Map(r.speakers.map((s) => [s.id, s.label]));
  const t = new Table({ head: ['start', 'end', 'speaker', 'channel', 'overlap'], ...style });
  for (const turn of r.turns) {
    t.push([
      clock(turn.startS),
      clock(turn.endS),
      labels.get(turn.speakerId) ?? turn.speakerId,
      turn.channel,
      turn.overlap ? 'yes' : '',
    ]);
  }
  lines.push(t.toString());
  const providers = providerLines(r.models);
  if (providers.length) lines.push(`providers: ${providers.join(' · ')}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
