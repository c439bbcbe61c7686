/**
 * The capture AudioWorkletProcessor (`callscope-capture`), bundled on its own by Vite
 * (`capture-worklet.ts?worker&url`) and loaded with `audioWorklet.addModule`. Two inputs: 0 = the
 * microphone track, 1 = the system-output track, rendered on the same audio clock. Each quantum
 * goes through {@link TwoTrackFramer} (mono, 16 kHz, 512-sample frames with audio-clock
 * timestamps); every frame is encoded in the wire format of src-shared/contracts/capture.ts and
 * posted on the node's port with its buffer transferred. The main thread posts
 * `{type: 'live', mic, system}` when a track ends. No output.
 */
import { encodeCaptureFrame } from '../../src-shared/contracts/capture.ts';
import { CAPTURE_PROCESSOR, type TrackLiveness, TwoTrackFramer } from './framer.ts';

// The AudioWorkletGlobalScope is not in TypeScript's DOM lib: the parts used here.
declare const sampleRate: number;
declare const currentTime: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessor): void;

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly framer = new TwoTrackFramer(sampleRate);
  private live: TrackLiveness = { mic: true, system: true };
  private running = true;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<{ type: string; mic?: boolean; system?: boolean }>) => {
      if (e.data.type === 'live') this.live = { mic: !!e.data.mic, system: !!e.data.system };
      else if (e.data.type === 'stop') this.running = false;
    };
  }

  process(inputs: Float32Array[][]): boolean {
    if (!this.running) return false;
    const mic = inputs[0] ?? [];
    const system = inputs[1] ?? [];
    const length = mic[0]?.length ?? system[0]?.length ?? 128;
    for (const f of this.framer.process(mic, system, length, currentTime, this.live)) {
      const buf = encodeCaptureFrame(f);
      this.port.postMessage(buf, [buf]);
    }
    return true;
  }
}

registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
