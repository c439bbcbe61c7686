/**
 * "This computer (browser capture)": the microphone through `getUserMedia` and the system output
 * through `getDisplayMedia` (the desktop app answers it with a loopback of the system audio, see
 * src-main/app/main.ts; its video track is dropped at once), both fed into the capture
 * AudioWorklet (capture-worklet.ts: 16 kHz mono per track, 32 ms two-channel frames with
 * audio-clock timestamps) whose frames go to the engine through a {@link CaptureSink}. A track that
 * cannot be had, or ends during the call (device unplugged, "Stop sharing"), is reported with a
 * message for the user and the capture goes on with the other one.
 */
import type { CaptureControl } from '../../src-shared/contracts/capture.ts';
import workletUrl from './capture-worklet.ts?worker&url';
import { CAPTURE_PROCESSOR } from './framer.ts';
import { type CaptureHost, micProblem, platformOf, systemProblem } from './platform-limits.ts';
import type { CaptureSink } from './sinks.ts';

/** Frames kept while no sink is attached yet (≈ 10 s of 32 ms frames); older ones are dropped. */
const MAX_BUFFERED_FRAMES = 320;

/** A running browser capture. */
export interface BrowserCapture {
  /** Which tracks were obtained. */
  readonly tracks: { mic: boolean; system: boolean };
  /** Why the microphone is not captured, or null. */
  readonly micProblem: string | null;
  /** Why the system audio is not captured (shown in the Live view), or null. */
  readonly systemProblem: string | null;
  /** The AudioContext rate the worklet resamples from, Hz. */
  readonly inputRate: number;
  /** Starts sending frames (those captured so far first). */
  attach(sink: CaptureSink): void;
  /** Registers a callback for a track that ends during the capture. */
  onLost(cb: (channel: 'mic' | 'system', message: string) => void): void;
  /** Stops the tracks and the audio graph and closes the sink. Idempotent. */
  stop(message?: string): Promise<void>;
}

/** Acquires the microphone, or returns why not. */
async function getMic(): Promise<{ track: MediaStreamTrack | null; problem: string | null }> {
  try {
    const s = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
      video: false,
    });
    return { track: s.getAudioTracks()[0] ?? null, problem: null };
  } catch (e) {
    return { track: null, problem: micProblem(e) };
  }
}

/** Acquires the system output through display capture (video dropped), or returns why not. */
async function getSystem(
  host: CaptureHost,
): Promise<{ track: MediaStreamTrack | null; problem: string | null }> {
  const platform = platformOf(navigator.userAgent);
  const md = navigator.mediaDevices as MediaDevices | undefined;
  if (typeof md?.getDisplayMedia !== 'function')
    return { track: null, problem: systemProblem(null, platform, host, false) };
  try {
    const s = await md.getDisplayMedia({
      video: true,
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    for (const v of s.getVideoTracks()) v.stop(); // only the audio is wanted
    const track = s.getAudioTracks()[0] ?? null;
    return { track, problem: track ? null : systemProblem(null, platform, host) };
  } catch (e) {
    return { track: null, problem: systemProblem(e, platform, host) };
  }
}

/**
 * Asks for the microphone and the system audio (the browser or OS may prompt) and builds the
 * audio graph. Call from a user gesture (display capture needs one).
 * @throws Error when neither track can be had (the message names both problems).
 */
export async function startBrowserCapture(host: CaptureHost): Promise<BrowserCapture> {
  const system = await getSystem(host); // first: it needs the click's transient activation
  const mic = await getMic();
  if (!mic.track && !system.track) {
    throw new Error(`nothing to capture: ${mic.problem}; ${system.problem}`);
  }
  const ctx = new AudioContext({ latencyHint: 'interactive' });
  try {
    await ctx.audioWorklet.addModule(workletUrl);
  } catch (e) {
    mic.track?.stop();
    system.track?.stop();
    await ctx.close();
    throw new Error(
      `the audio capture worklet cannot be loaded: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const node = new AudioWorkletNode(ctx, CAPTURE_PROCESSOR, {
    numberOfInputs: 2,
    numberOfOutputs: 1,
    outputChannelCount: [1],
  });
  const sources: MediaStreamAudioSourceNode[] = [];
  for (const [i, track] of [mic.track, system.track].entries()) {
    if (!track) continue;
    const src = new MediaStreamAudioSourceNode(ctx, { mediaStream: new MediaStream([track]) });
    src.connect(node, 0, i);
    sources.push(src);
  }
  node.connect(ctx.destination); // pulls the graph; the node outputs silence
  await ctx.resume();

  const live = { mic: !!mic.track, system: !!system.track };
  const lostCbs = new Set<(channel: 'mic' | 'system', message: string) => void>();
  const pending: ArrayBuffer[] = [];
  const controls: CaptureControl[] = [];
  let sink: CaptureSink | null = null;
  let stopped = false;
  node.port.onmessage = (e: MessageEvent<ArrayBuffer>) => {
    if (sink) sink.sendFrame(e.data);
    else if (pending.push(e.data) > MAX_BUFFERED_FRAMES) pending.shift();
  };
  const control = (c: CaptureControl): void => (sink ? sink.sendControl(c) : void controls.push(c));
  const watch = (track: MediaStreamTrack | null, channel: 'mic' | 'system'): void => {
    track?.addEventListener('ended', () => {
      if (stopped || !live[channel]) return;
      live[channel] = false;
      const message =
        channel === 'mic'
          ? `the microphone stopped (${track.label || 'device'} unplugged or access revoked)`
          : 'system audio sharing stopped (sharing ended or the output device went away)';
      // the reason first: frames flagged "not live" can only follow it
      control({ type: 'lost', channel, message });
      node.port.postMessage({ type: 'live', ...live });
      lostCbs.forEach((cb) => cb(channel, message));
    });
  };
  watch(mic.track, 'mic');
  watch(system.track, 'system');
  node.port.postMessage({ type: 'live', ...live });

  return {
    tracks: { mic: !!mic.track, system: !!system.track },
    micProblem: mic.problem,
    systemProblem: system.problem,
    inputRate: ctx.sampleRate,
    attach(s) {
      sink = s;
      for (const f of pending.splice(0)) s.sendFrame(f);
      for (const c of controls.splice(0)) s.sendControl(c);
    },
    onLost: (cb) => void lostCbs.add(cb),
    async stop(message = 'capture stopped') {
      if (stopped) return;
      stopped = true;
      node.port.postMessage({ type: 'stop' });
      node.port.onmessage = null;
      mic.track?.stop();
      system.track?.stop();
      sources.forEach((s) => s.disconnect());
      node.disconnect();
      sink?.sendControl({ type: 'end', message });
      sink?.close();
      await ctx.close().catch(() => undefined);
    },
  };
}
