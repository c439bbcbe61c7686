/**
 * Live: choose the sources (this computer's microphone + system output through PulseAudio/PipeWire,
 * the same captured by the browser itself — getUserMedia + getDisplayMedia loopback, see
 * capture/browser-capture.ts — or a recording replayed in real time), start/stop, a scrolling timeline with a "You" lane and a lane per remote speaker,
 * level meters, speaker cards (name or "Unknown N", gender/age with confidence, talk time,
 * "Remember this voice" during the session and after it), the talk-time share and quality
 * warnings. Events are folded into a model; redraws are batched to animation frames.
 */
import { useEffect, useRef, useState } from 'react';

import type { LiveEvent } from '../../src-shared/contracts/live.ts';
import { type BrowserCapture, startBrowserCapture } from '../capture/browser-capture.ts';
import { attributesText } from '../attributes-text.ts';
import { RememberVoice } from '../components/RememberVoice.tsx';
import { TalkShare } from '../components/TalkShare.tsx';
import { Timeline } from '../components/Timeline.tsx';
import { applyLiveEvent, emptyLive, liveTurns, type LiveModel } from '../live-model.ts';
import { errorText, useApp } from '../state.ts';
import { buildLanes, formatClock, talkTime } from '../timeline-model.ts';

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
const pct = (dbfs: number): number => Math.max(0, Math.min(100, ((dbfs + 60) / 60) * 100));

export function LiveView(): React.JSX.Element {
  const conn = useApp((s) => s.conn);
  const [kind, setKind] = useState<'replay' | 'pulse' | 'browser'>('replay');
  const [diarizeMic, setDiarizeMic] = useState(false);
  /** Problems of the browser capture shown to the user (a missing or lost track). */
  const [notices, setNotices] = useState<string[]>([]);
  const capture = useRef<BrowserCapture | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [devices, setDevices] = useState<{ name: string; monitor: boolean }[]>([]);
  const [devError, setDevError] = useState<string | null>(null);
  const [mic, setMic] = useState('');
  const [system, setSystem] = useState('');
  const [session, setSession] = useState<string | null>(null);
  /** The running or last session: its voices can still be remembered after it ended. */
  const [lastSession, setLastSession] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const model = useRef<LiveModel>(emptyLive());
  const raf = useRef(0);

  useEffect(() => {
    if (!conn) return;
    void conn.live.devices().then((d) => {
      setDevices(d.sources);
      setDevError(d.error);
    });
    const redraw = (): void => {
      if (!raf.current) raf.current = requestAnimationFrame(() => ((raf.current = 0), setTick((t) => t + 1)));
    };
    const offE = conn.onLive('event', ({ event }: { event: LiveEvent }) => {
      applyLiveEvent(model.current, event);
      redraw();
    });
    const offEnd = conn.onLive('ended', (e) => {
      const cap = capture.current;
      capture.current = null;
      void cap?.stop('session ended');
      setSession(null);
      model.current.state = 'stopped';
      model.current.warnings.clear();
      if (e.error) setError(e.error);
      redraw();
    });
    return () => {
      offE();
      offEnd();
    };
  }, [conn]);

  const start = async (): Promise<void> => {
    if (!conn) return;
    setError(null);
    setNotices([]);
    model.current = emptyLive();
    try {
      if (kind === 'browser') return await startBrowser();
      const source =
        kind === 'replay'
          ? { kind: 'replay' as const, file: await conn.fileRef(file!), speed: 1 }
          : { kind: 'pulse' as const, mic: mic || undefined, system: system || undefined };
      const { sessionId } = await conn.live.start({ source, diarizeMic });
      model.current.state = 'running';
      setSession(sessionId);
      setLastSession(sessionId);
    } catch (e) {
      setError(errorText(e));
    }
  };
  /** Browser capture: tracks first (prompts), then the session, then the frame stream. */
  const startBrowser = async (): Promise<void> => {
    const cap = await startBrowserCapture(conn!.kind);
    capture.current = cap;
    const problems = [cap.micProblem, cap.systemProblem].filter((p): p is string => !!p);
    if (cap.systemProblem) problems.push('The session runs with the microphone alone.');
    if (cap.micProblem) problems.push('The session runs with the system audio alone.');
    setNotices(problems);
    cap.onLost((_c, message) => setNotices((n) => [...n, message]));
    let started: string | null = null;
    try {
      const { sessionId } = await conn!.live.start({
        source: {
          kind: 'renderer',
          mic: cap.tracks.mic,
          system: cap.tracks.system,
          micProblem: cap.micProblem ?? undefined,
          systemProblem: cap.systemProblem ?? undefined,
        },
        title: 'browser capture',
        diarizeMic,
      });
      started = sessionId;
      model.current.state = 'running';
      setSession(sessionId);
      setLastSession(sessionId);
      const sink = await conn!.openCaptureSink(sessionId);
      sink.onClose((reason) => {
        // the engine ended the stream on its own (a refused frame, the source ending)
        if (capture.current === cap && reason !== 'capture stopped') setNotices((n) => [...n, reason]);
      });
      cap.attach(sink);
    } catch (e) {
      capture.current = null;
      await cap.stop();
      if (started) await conn!.live.stop(started).catch(() => undefined);
      throw e;
    }
  };
  const stop = async (): Promise<void> => {
    const cap = capture.current;
    capture.current = null;
    if (session) await conn?.live.stop(session).catch((e: unknown) => setError(errorText(e)));
    await cap?.stop();
  };

  const m = model.current;
  const turns = liveTurns(m);
  const speakers = [...m.speakers.values()].filter((s) => !s.merged);
  const lanes = buildLanes(speakers, turns);
  const talk = talkTime(turns);
  const toS = Math.max(WINDOW_S, m.nowS + 2);
  const running = session !== null;
  const pulseMissing = kind === 'pulse' && devError !== null;
  const canStart = conn && !running && (kind !== 'replay' || file) && !pulseMissing;
  const remoteCount = lanes.filter((l) => m.speakers.get(l.speakerId)?.channel === 'system').length;

  return (
    <div className="view">
      <h1>Live</h1>
      <div className="card row toolbar" role="group" aria-label="Source">
        <label className="radio">
          <input
            type="radio"
            name="src"
            checked={kind === 'replay'}
            onChange={() => setKind('replay')}
            disabled={running}
          />{' '}
          Replay a stereo recording
        </label>
        <label className="radio">
          <input
            type="radio"
            name="src"
            checked={kind === 'pulse'}
            onChange={() => setKind('pulse')}
            disabled={running}
          />{' '}
          This computer (mic + system output)
        </label>
        <label className="radio">
          <input
            type="radio"
            name="src"
            checked={kind === 'browser'}
            onChange={() => setKind('browser')}
            disabled={running}
          />{' '}
          This computer (browser capture)
        </label>
        <label className="radio" title="Tell apart several local people who share the microphone">
          <input
            type="checkbox"
            checked={diarizeMic}
            onChange={(e) => setDiarizeMic(e.target.checked)}
            disabled={running}
            data-testid="diarize-mic"
          />{' '}
          Several people on the mic
        </label>
        {kind === 'browser' ? (
          <span className="muted small-text">
            microphone + system audio shared through screen sharing (the picture is discarded)
          </span>
        ) : kind === 'replay' ? (
          <input
            type="file"
            accept="audio/*"
            aria-label="Stereo recording to replay"
            disabled={running}
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            data-testid="live-file"
          />
        ) : (
          <>
            <select
              aria-label="Microphone source"
              value={mic}
              onChange={(e) => setMic(e.target.value)}
              disabled={running}
            >
              <option value="">default microphone</option>
              {devices
                .filter((d) => !d.monitor)
                .map((d) => (
                  <option key={d.name}>{d.name}</option>
                ))}
            </select>
            <select
              aria-label="System output source"
              value={system}
              onChange={(e) => setSystem(e.target.value)}
              disabled={running}
            >
              <option value="">default output monitor</option>
              {devices
                .filter((d) => d.monitor)
                .map((d) => (
                  <option key={d.name}>{d.name}</option>
                ))}
            </select>
          </>
        )}
        {running ? (
          <button className="primary" onClick={() => void stop()}>
            Stop
          </button>
        ) : (
          <button className="primary" onClick={() => void start()} disabled={!canStart}>
            Start
          </button>
        )}
        <span className="muted" data-testid="live-clock">
          {m.state === 'running' ? '● ' : ''}
          {formatClock(m.nowS)}
        </span>
      </div>
      {pulseMissing && (
        <div className="banner error" role="alert" data-testid="pulse-problem" title={devError ?? ''}>
          {pulseProblemText(devError ?? '')}
        </div>
      )}
      {error && (
        <div className="banner error" role="alert">
          {error}
        </div>
      )}
      {notices.length > 0 && (
        <div className="banner" role="status" data-testid="capture-notice">
          ⚠ {notices.join(' ')}
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
                aria-valuenow={Math.round(m.levels[c])}
              >
                <div className="bar" style={{ width: `${pct(m.levels[c])}%` }} />
              </div>
              <span className="muted small-text">
                {m.levels[c] <= -119 ? '—' : `${m.levels[c].toFixed(0)} dBFS`}
              </span>
            </div>
          ))}
        </div>
      </div>
      <div className="grid2">
        <div className="card">
          <h3>Speakers ({remoteCount} remote)</h3>
          <div className="cards" data-testid="live-speakers">
            {lanes.map((l) => {
              const s = m.speakers.get(l.speakerId)!;
              const a = s.attributes;
              return (
                <div key={l.speakerId} className="speaker-card" data-testid={`live-speaker-${l.speakerId}`}>
                  <div>
                    <span className="swatch" style={{ background: l.color }} /> <strong>{l.label}</strong>
                  </div>
                  <div className="muted small-text" data-testid="attributes">
                    {attributesText(a)}
                  </div>
                  <div>{formatClock(talk.get(l.speakerId) ?? 0)}</div>
                  {s.status === 'known' ? (
                    <span className="tag ok">known voice</span>
                  ) : (
                    lastSession && (
                      <RememberVoice
                        key={`${lastSession}:${s.id}`}
                        speakerId={s.id}
                        speakerLabel={l.label}
                        speechS={s.cleanSpeechS ?? 0}
                        save={(name, consent) =>
                          conn!.live.rememberVoice({ sessionId: lastSession, speaker: s.id, name, consent })
                        }
                      />
                    )
                  )}
                </div>
              );
            })}
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
