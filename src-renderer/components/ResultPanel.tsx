/**
 * One analysed call: summary, execution provider per model role, speaker timeline, talk-time
 * share, speakers with attributes and "Remember this voice", audio quality per channel, warnings,
 * and export to JSON / RTTM / CSV.
 */
import { useMemo } from 'react';

import type { AnalysisResult } from '../../src-shared/contracts/analysis.ts';
import { exportResult, type ExportFormat } from '../../src-shared/formats/exports.ts';
import { providerLines } from '../../src-shared/formats/providers.ts';
import { attributesText } from '../attributes-text.ts';
import { type AudioSource, speakerClip, usePlayback } from '../playback.ts';
import { useApp } from '../state.ts';
import { buildLanes, formatClock, talkTime } from '../timeline-model.ts';
import { RememberVoice } from './RememberVoice.tsx';
import { TalkShare } from './TalkShare.tsx';
import { Timeline } from './Timeline.tsx';

function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function ResultPanel({
  result,
  callId,
  known = {},
  audio = null,
}: {
  result: AnalysisResult;
  callId: number | null;
  /** Voiceprint id per speaker id, when identified. */
  known?: Record<string, number | null>;
  /**
   * Where turns and speakers are played back from: the file added in this page (Files) or the
   * call's kept audio (History); null when no audio is available.
   */
  audio?: AudioSource | null;
}): React.JSX.Element {
  const player = usePlayback(audio);
  const conn = useApp((s) => s.conn);
  const lanes = useMemo(() => buildLanes(result.speakers, result.turns), [result]);
  const talk = useMemo(() => talkTime(result.turns), [result]);
  const base = result.file.replace(/\.[^.]+$/, '').replace(/\s+/g, '_') || 'call';
  const exp = (f: ExportFormat): void =>
    download(`${base}.${f}`, exportResult(result, f, base), f === 'json' ? 'application/json' : 'text/plain');
  return (
    <section className="result" aria-label={`Results for ${result.file}`} data-testid="result">
      <header className="result-head">
        <div>
          <h2>{result.file}</h2>
          <p className="muted">
            {formatClock(result.durationS)} · {result.sourceChannels} channel(s),{' '}
            {result.sourceSampleRate / 1000} kHz · <span data-testid="speaker-count">{lanes.length}</span>{' '}
            speaker(s) · {result.turns.length} turns · RTF {result.rtf.toFixed(2)} on{' '}
            {result.executionProvider.name.toUpperCase()}
          </p>
          {providerLines(result.models).length > 0 && (
            <details className="muted small-text providers">
              <summary>Execution providers per model</summary>
              <ul aria-label="Execution providers" data-testid="providers">
                {providerLines(result.models).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </details>
          )}
        </div>
        <div className="row" role="group" aria-label="Export">
          {(['json', 'rttm', 'csv'] as const).map((f) => (
            <button key={f} className="small" onClick={() => exp(f)}>
              Export {f.toUpperCase()}
            </button>
          ))}
        </div>
      </header>
      <Timeline
        lanes={lanes}
        fromS={0}
        toS={Math.max(1, result.durationS)}
        label={`Speaker timeline, ${lanes.length} lanes`}
        onPlay={audio ? (t, lane) => void player.play(t.startS, t.endS, lane.label) : undefined}
      />
      <audio ref={player.ref} data-testid="player" preload="none" hidden />
      {(player.playing ?? player.error) && (
        <div className="banner now-playing" role="status" data-testid="now-playing">
          {player.playing ? (
            <>
              ▶ Playing {player.playing.label}, {formatClock(player.playing.startS)}–
              {formatClock(player.playing.endS)}
              <button className="small" onClick={player.stop}>
                Stop
              </button>
            </>
          ) : (
            <span className="error-text">Cannot play: {player.error}</span>
          )}
        </div>
      )}
      <div className="grid2">
        <div className="card">
          <h3>Speakers</h3>
          <table className="table" data-testid="speakers">
            <thead>
              <tr>
                <th>Speaker</th>
                <th>Channel</th>
                <th>Talk time</th>
                <th>Attributes</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {lanes.map((l) => {
                const s = result.speakers.find((x) => x.id === l.speakerId)!;
                return (
                  <tr key={s.id} data-testid={`speaker-${s.id}`}>
                    <td>
                      <button
                        className="small ghost play"
                        disabled={!audio}
                        title={
                          audio
                            ? `Play ${l.label}'s longest turn`
                            : 'The audio of this call was not kept (Settings › Privacy › Keep call audio)'
                        }
                        aria-label={`Play ${l.label}`}
                        data-testid={`play-${s.id}`}
                        onClick={() => {
                          const t = speakerClip(l.turns);
                          if (t) void player.play(t.startS, t.endS, l.label);
                        }}
                      >
                        ▶
                      </button>{' '}
                      <span className="swatch" style={{ background: l.color }} />{' '}
                      <span className="speaker-label">{l.label}</span>
                    </td>
                    <td>{s.channel}</td>
                    <td>{formatClock(s.speechS)}</td>
                    <td className="muted wrap" data-testid="attributes">
                      {attributesText(s.attributes)}
                    </td>
                    <td>
                      {known[s.id] ? (
                        <span className="tag ok">known voice</span>
                      ) : (
                        callId !== null &&
                        s.channel !== 'mic' && (
                          <RememberVoice
                            speakerId={s.id}
                            speakerLabel={l.label}
                            speechS={s.speechS}
                            save={(name, consent) =>
                              conn!.library.enrollFromCall({ callId, speakerId: s.id, name, consent })
                            }
                          />
                        )
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <div className="card">
          <h3>Talk-time share</h3>
          <TalkShare lanes={lanes} talk={talk} />
        </div>
      </div>
      <div className="card">
        <h3>Audio quality</h3>
        <table className="table" data-testid="quality">
          <thead>
            <tr>
              <th>Channel</th>
              <th>Level</th>
              <th>Speech level</th>
              <th>SNR</th>
              <th>Speech</th>
              <th>Clipping</th>
              <th>Flags</th>
            </tr>
          </thead>
          <tbody>
            {result.quality.map((q) => (
              <tr key={q.channel}>
                <td>{q.channel}</td>
                <td>{q.rmsDbfs.toFixed(1)} dBFS</td>
                <td>{q.speechDbfs === null ? '—' : `${q.speechDbfs.toFixed(1)} dBFS`}</td>
                <td>{q.snrDb === null ? '—' : `${q.snrDb.toFixed(1)} dB`}</td>
                <td>{Math.round(100 * q.speechRatio)}%</td>
                <td>{(100 * q.clippingRatio).toFixed(2)}%</td>
                <td>
                  {q.flags.length ? (
                    q.flags.map((f) => (
                      <span key={f} className="tag warn">
                        {f.replace('_', ' ')}
                      </span>
                    ))
                  ) : (
                    <span className="tag ok">ok</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {result.warnings.length > 0 && (
          <ul className="warnings">
            {result.warnings.map((w) => (
              <li key={w}>⚠ {w}</li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
