/**
 * The Live view's session logic without its markup: the PulseAudio/PipeWire device list, start and
 * stop of a live session (replay, PulseAudio or browser capture, see capture/browser-capture.ts),
 * the live events folded into a {@link LiveModel} with redraws batched to animation frames, the
 * capture notices, and "Remember this voice" against the running or last session.
 */
import { useEffect, useRef, useState } from 'react';

import type { Voiceprint } from '../src-shared/contracts/voiceprints.ts';
import type { LiveEvent } from '../src-shared/contracts/live.ts';
import { type BrowserCapture, startBrowserCapture } from './capture/browser-capture.ts';
import { applyLiveEvent, emptyLive, type LiveModel } from './live-model.ts';
import { useApp } from './state.ts';
import { useAsyncAction } from './use-async-action.ts';

/** Where the audio of a session comes from, as the Live view offers it. */
export type LiveSourceKind = 'replay' | 'pulse' | 'browser';

/** The user's source choice (SourcePicker). */
export interface LiveSourceChoice {
  kind: LiveSourceKind;
  /** Tell apart several local people who share the microphone (diarization of the mic channel). */
  diarizeMic: boolean;
  /** The stereo recording to replay in real time (`replay`); null until one is chosen. */
  file: File | null;
  /** PulseAudio source name of the microphone (`pulse`); '' = the default source. */
  mic: string;
  /** PulseAudio source of the system output (`pulse`); '' = the default sink's `.monitor`. */
  system: string;
}

/** A PulseAudio/PipeWire source as `live.devices()` lists it (`monitor`: a sink's output). */
export interface LiveDevice {
  name: string;
  monitor: boolean;
}

/** What {@link useLiveSession} gives the Live view. */
export interface LiveSession {
  /**
   * The folded events of the current session (mutated in place as events arrive; the hook
   * re-renders at most once per animation frame). A new empty model at each start.
   */
  model: LiveModel;
  /** Id of the running session, or null. */
  session: string | null;
  /** The running or last session: its voices can still be remembered after it ended. */
  lastSession: string | null;
  /** PulseAudio/PipeWire sources; empty until listed or when listing failed. */
  devices: LiveDevice[];
  /** The raw reason the device list failed (`pactl` output), or null. */
  devError: string | null;
  /** A failed start or stop, or the error a session ended with; null when none. */
  error: string | null;
  /** Problems of the browser capture shown to the user (a missing or lost track). */
  notices: string[];
  /** Starts a session from `choice`; failures land in `error`. Never rejects. */
  start(choice: LiveSourceChoice): Promise<void>;
  /** Stops the running session and the browser capture; failures land in `error`. Never rejects. */
  stop(): Promise<void>;
  /**
   * Enrolls a speaker of {@link lastSession} under `name` with the consent given.
   * @throws when there is no session or the engine refuses (the caller shows the message).
   */
  rememberVoice(speaker: string, name: string, consent: string): Promise<Voiceprint>;
}

/** The Live view's session state and actions for the app's connection (see {@link LiveSession}). */
export function useLiveSession(): LiveSession {
  const conn = useApp((s) => s.conn);
  const [notices, setNotices] = useState<string[]>([]);
  const capture = useRef<BrowserCapture | null>(null);
  const [devices, setDevices] = useState<LiveDevice[]>([]);
  const [devError, setDevError] = useState<string | null>(null);
  const [session, setSession] = useState<string | null>(null);
  const [lastSession, setLastSession] = useState<string | null>(null);
  const { error, run, setError } = useAsyncAction();
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
  }, [conn, setError]);

  const started = (sessionId: string): void => {
    model.current.state = 'running';
    setSession(sessionId);
    setLastSession(sessionId);
  };

  /** Browser capture: tracks first (prompts), then the session, then the frame stream. */
  const startBrowser = async (diarizeMic: boolean): Promise<void> => {
    const cap = await startBrowserCapture(conn!.kind);
    capture.current = cap;
    const problems = [cap.micProblem, cap.systemProblem].filter((p): p is string => !!p);
    if (cap.systemProblem) problems.push('The session runs with the microphone alone.');
    if (cap.micProblem) problems.push('The session runs with the system audio alone.');
    setNotices(problems);
    cap.onLost((_c, message) => setNotices((n) => [...n, message]));
    let sessionId: string | null = null;
    try {
      ({ sessionId } = await conn!.live.start({
        source: {
          kind: 'renderer',
          mic: cap.tracks.mic,
          system: cap.tracks.system,
          micProblem: cap.micProblem ?? undefined,
          systemProblem: cap.systemProblem ?? undefined,
        },
        title: 'browser capture',
        diarizeMic,
      }));
      started(sessionId);
      const sink = await conn!.openCaptureSink(sessionId);
      sink.onClose((reason) => {
        // the engine ended the stream on its own (a refused frame, the source ending)
        if (capture.current === cap && reason !== 'capture stopped') setNotices((n) => [...n, reason]);
      });
      cap.attach(sink);
    } catch (e) {
      capture.current = null;
      await cap.stop();
      if (sessionId) await conn!.live.stop(sessionId).catch(() => undefined);
      throw e;
    }
  };

  const start = async (choice: LiveSourceChoice): Promise<void> => {
    if (!conn) return;
    setNotices([]);
    model.current = emptyLive();
    await run(async () => {
      if (choice.kind === 'browser') return await startBrowser(choice.diarizeMic);
      const source =
        choice.kind === 'replay'
          ? { kind: 'replay' as const, file: await conn.fileRef(choice.file!), speed: 1 }
          : { kind: 'pulse' as const, mic: choice.mic || undefined, system: choice.system || undefined };
      const { sessionId } = await conn.live.start({ source, diarizeMic: choice.diarizeMic });
      started(sessionId);
    });
  };

  const stop = async (): Promise<void> => {
    const cap = capture.current;
    capture.current = null;
    if (session && conn) await run(() => conn.live.stop(session));
    await cap?.stop();
  };

  const rememberVoice = (speaker: string, name: string, consent: string): Promise<Voiceprint> => {
    if (!conn || !lastSession) return Promise.reject(new Error('no live session to remember a voice from'));
    return conn.live.rememberVoice({ sessionId: lastSession, speaker, name, consent });
  };

  return {
    model: model.current,
    session,
    lastSession,
    devices,
    devError,
    error,
    notices,
    start,
    stop,
    rememberVoice,
  };
}
