/**
 * Live: choose the sources (this computer's microphone + system output through PulseAudio/PipeWire,
 * the same captured by the browser itself — getUserMedia + getDisplayMedia loopback, see
 * capture/browser-capture.ts — or a recording replayed in real time), start/stop, a scrolling
 * timeline with a "You" lane and a lane per remote speaker, level meters, speaker cards (name or
 * "Unknown N", gender/age with confidence, talk time, "Remember this voice" during the session and
 * after it), the talk-time share and quality warnings. The session logic is
 * {@link useLiveSession}; the parts are SourcePicker, LevelMeters and LiveSpeakerCard.
 */
import { useState } from 'react';

import { LevelMeters } from '../components/LevelMeters.tsx';
import { LiveSpeakerCard } from '../components/LiveSpeakerCard.tsx';
import { SourcePicker } from '../components/SourcePicker.tsx';
import { TalkShare } from '../components/TalkShare.tsx';
import { Timeline } from '../components/Timeline.tsx';
import { liveTurns } from '../live-model.ts';
import { useApp } from '../state.ts';
import { buildLanes, formatClock, talkTime } from '../timeline-model.ts';
import { type LiveSourceChoice, useLiveSession } from '../use-live-session.ts';

/** Seconds of the live timeline on screen. */
const WINDOW_S = 60;

/**
 * What the user reads when the PulseAudio device list fails: what is missing and what to do,
 * instead of the raw `pactl` output (kept in the tooltip for support).
 */
export function pulseProblemText(raw: string): string {
  const missing = /pa_context_connect|connection refused|no such file|enoent|not found|pactl/i.test(raw);
  return missing
    ? 'This computer’s sound server (PulseAudio, or PipeWire with its PulseAudio service) is not running or not installed, so the microphone and system output cannot be captured here. Start the sound server and reload this page, or use browser capture or a replay instead.'
    : `The sound devices could not be listed: ${raw}`;
}

export function LiveView(): React.JSX.Element {
  const conn = useApp((s) => s.conn);
  const live = useLiveSession();
  const [choice, setChoice] = useState<LiveSourceChoice>({
    kind: 'replay',
    diarizeMic: false,
    file: null,
    mic: '',
    system: '',
  });

  const m = live.model;
  const turns = liveTurns(m);
  const speakers = [...m.speakers.values()].filter((s) => !s.merged);
  const lanes = buildLanes(speakers, turns);
  const talk = talkTime(turns);
  const toS = Math.max(WINDOW_S, m.nowS + 2);
  const running = live.session !== null;
  const pulseMissing = choice.kind === 'pulse' && live.devError !== null;
  const canStart = conn && !running && (choice.kind !== 'replay' || choice.file) && !pulseMissing;
  const remoteCount = lanes.filter((l) => m.speakers.get(l.speakerId)?.channel === 'system').length;

  return (
    <div className="view">
      <h1>Live</h1>
      <div className="card row toolbar" role="group" aria-label="Source">
        <SourcePicker
          choice={choice}
          onChange={(patch) => setChoice((c) => ({ ...c, ...patch }))}
          devices={live.devices}
          running={running}
        />
        {running ? (
          <button className="primary" onClick={() => void live.stop()}>
            Stop
          </button>
        ) : (
          <button className="primary" onClick={() => void live.start(choice)} disabled={!canStart}>
            Start
          </button>
        )}
        <span className="muted" data-testid="live-clock">
          {m.state === 'running' ? '● ' : ''}
          {formatClock(m.nowS)}
        </span>
      </div>
      {pulseMissing && (
        <div className="banner error" role="alert" data-testid="pulse-problem" title={live.devError ?? ''}>
          {pulseProblemText(live.devError ?? '')}
        </div>
      )}
      {live.error && (
        <div className="banner error" role="alert">
          {live.error}
        </div>
      )}
      {live.notices.length > 0 && (
        <div className="banner" role="status" data-testid="capture-notice">
          ⚠ {live.notices.join(' ')}
        </div>
      )}
      {[...m.warnings].map(([key, w]) => (
        <div key={key} className="banner warn" role="status" data-testid="live-warning">
          ⚠ {w}
        </div>
      ))}
      <div className="card">
        <Timeline
          lanes={lanes}
          fromS={Math.max(0, toS - WINDOW_S)}
          toS={toS}
          nowS={m.nowS}
          label={`Live timeline, ${lanes.length} lanes`}
          testId="live-timeline"
        />
        <LevelMeters levels={m.levels} />
      </div>
      <div className="grid2">
        <div className="card">
          <h3>Speakers ({remoteCount} remote)</h3>
          <div className="cards" data-testid="live-speakers">
            {lanes.map((l) => (
              <LiveSpeakerCard
                key={l.speakerId}
                lane={l}
                speaker={m.speakers.get(l.speakerId)!}
                talkS={talk.get(l.speakerId) ?? 0}
                lastSession={live.lastSession}
                remember={(name, consent) => live.rememberVoice(l.speakerId, name, consent)}
              />
            ))}
          </div>
        </div>
        <div className="card">
          <h3>Talk-time share</h3>
          <TalkShare lanes={lanes} talk={talk} />
        </div>
      </div>
    </div>
  );
}
