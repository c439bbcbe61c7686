/**
 * The live service behind the UI: starts an engine `LiveSession` on a replayed recording, the
 * PulseAudio/PipeWire devices, or the renderer's own capture (frames arriving over the web host's
 * `/capture` WebSocket or an Electron MessagePort, found through {@link LiveControl.capture}), forwards its events (≤ 20 Hz summaries, turns, speakers) to every
 * connected UI, stops it on request, and remembers a speaker's voice (during the session or after
 * it, for the most recent one). Sessions write to the history store. One session at a time.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';

import type { LiveSessionSummary } from '../../src-shared/contracts/live.ts';
import { MIN_ENROLL_SPEECH_S, type Voiceprint } from '../../src-shared/contracts/voiceprints.ts';
import {
  type LiveControlService,
  type LiveSourceRequest,
  SERVICE,
} from '../../src-shared/contracts/services.ts';
import { choosePulseSources, listPulseDevices, pulseCaptureSource } from '../capture/pulse.ts';
import { RendererCaptureHub, RendererCaptureSource } from '../capture/renderer-source.ts';
import { ReplaySource } from '../capture/replay.ts';
import type { CaptureSource } from '../engine/audio/capture-frames.ts';
import { LiveSession } from '../engine/pipeline/live-session.ts';
import { type EngineServiceDeps, fileRefName, resolveFileRef, withFileName } from './deps.ts';
import { rememberEmbedding } from './library.ts';
import { liveStoreOf } from './live-store.ts';
import { FBANK_FRAMES_PER_S } from '../engine/audio/fbank.ts';
import { AppError } from '../../src-shared/errors.ts';

interface Running {
  id: string;
  session: LiveSession;
  done: Promise<LiveSessionSummary | null>;
}

/** Live sessions for the UI. */
export class LiveControl implements LiveControlService {
  private current: Running | null = null;
  /** The most recent session (running or ended), whose voices can still be remembered. */
  private latest: Running | null = null;
  /** Renderer capture sources of running sessions, for the transports that feed them. */
  readonly capture = new RendererCaptureHub();

  constructor(private readonly deps: EngineServiceDeps) {}

  async devices(): ReturnType<LiveControlService['devices']> {
    try {
      const d = await listPulseDevices();
      return {
        sources: d.sources.map((s) => ({ name: s.name, description: s.name, monitor: s.monitor })),
        error: null,
      };
    } catch (err) {
      return { sources: [], error: err instanceof Error ? err.message : String(err) };
    }
  }

  async start(req: Parameters<LiveControlService['start']>[0]): Promise<{ sessionId: string }> {
    if (this.current) throw new AppError('busy', 'a live session is already running; stop it first');
    const id = randomUUID();
    const { source, cleanup, hide = (m: string) => m } = await this.sourceFor(req.source, id);
    const session = new LiveSession(this.deps.models.get(), {
      store: this.deps.db ? liveStoreOf(this.deps.db) : null,
      // the file's own name, never the upload's temporary path
      title:
        req.title ??
        (req.source.kind === 'replay'
          ? `replay ${fileRefName(req.source.file)} at ${req.source.speed}×`
          : source.description),
      diarizeMic: req.diarizeMic ?? false,
    });
    session.on((event) => this.deps.emit(SERVICE.live, 'event', { sessionId: id, event }));
    const done = session
      .run(source)
      .then((summary) => {
        this.deps.emit(SERVICE.live, 'ended', { sessionId: id, summary, error: null });
        return summary;
      })
      .catch((err: unknown) => {
        this.deps.emit(SERVICE.live, 'ended', {
          sessionId: id,
          summary: null,
          error: hide(err instanceof Error ? err.message : String(err)),
        });
        return null;
      })
      .finally(() => {
        if (this.current?.id === id) this.current = null;
        void cleanup();
      });
    this.current = this.latest = { id, session, done };
    return { sessionId: id };
  }

  async stop(sessionId: string): Promise<LiveSessionSummary> {
    const cur = this.current;
    if (!cur || cur.id !== sessionId) throw new AppError('not_found', `no running session ${sessionId}`);
    await cur.session.stop();
    const summary = await cur.done;
    if (!summary) throw new Error('the live session failed');
    return summary;
  }

  async rememberVoice(req: Parameters<LiveControlService['rememberVoice']>[0]): Promise<Voiceprint> {
    const s = this.latest;
    if (!s || s.id !== req.sessionId)
      throw new AppError(
        'not_found',
        `live session ${req.sessionId} is no longer available; voices can be remembered from the most recent session only`,
      );
    const e = await s.session.speakerEmbedding(req.speaker);
    if (!e) {
      const needS = Math.max(
        MIN_ENROLL_SPEECH_S,
        this.deps.models.get().voiceprintEmbedder.minFrames / FBANK_FRAMES_PER_S,
      );
      throw new AppError(
        'not_enough_speech',
        `too little clear speech of ${req.speaker} so far to remember the voice (at least ${needS} s needed); let them speak longer`,
      );
    }
    return rememberEmbedding(this.deps, req, {
      vectors: e.embeddings,
      source: `live:${s.session.callId ?? s.id}/${req.speaker}`,
      speechS: e.seconds,
      snrDb: null,
    });
  }

  /** Stops the running session (shutdown). */
  async stopAll(): Promise<void> {
    if (this.current) await this.stop(this.current.id).catch(() => undefined);
  }

  private async sourceFor(
    req: LiveSourceRequest,
    sessionId: string,
  ): Promise<{ source: CaptureSource; cleanup: () => Promise<void>; hide?: (message: string) => string }> {
    if (req.kind === 'renderer') {
      const source = new RendererCaptureSource(req);
      this.capture.register(sessionId, source);
      return { source, cleanup: async () => this.capture.remove(sessionId) };
    }
    if (req.kind === 'replay') {
      const path = resolveFileRef(req.file, this.deps);
      const upload = req.file.kind === 'upload';
      return {
        source: new ReplaySource([path], { speed: req.speed }),
        cleanup: async () => void (upload && (await rm(path, { force: true }))),
        hide: (m) => withFileName(m, path, fileRefName(req.file)),
      };
    }
    const { mic, system } = choosePulseSources(await listPulseDevices(), req.mic, req.system);
    return { source: pulseCaptureSource(mic, system), cleanup: async () => undefined };
  }
}
