/**
 * ffmpeg command lines for live device capture. One ffmpeg process opens both devices and writes
 * each channel as raw float32 mono 16 kHz to its own pipe (fd 3 = mic, fd 4 = system), so the two
 * channels start within a few milliseconds of each other and a lost device ends only its pipe.
 *
 * Platforms (ffmpeg's input devices, https://ffmpeg.org/ffmpeg-devices.html):
 *  - Linux `pulse` (PulseAudio, and PipeWire through pipewire-pulse): any source name; the system
 *    channel is a sink's `.monitor` source. `-fragment_size 640` (20 ms at 16 kHz s16) keeps the
 *    capture latency low; larger fragments let the two channels drift (ENVIRONMENT.md).
 *  - macOS `avfoundation`: audio device `:<index|name>`; system audio needs a loopback device
 *    (e.g. BlackHole) given as the system source, otherwise the renderer source must be used.
 *  - Windows `dshow`: `audio=<device name>`; system audio needs a loopback capture device
 *    ("Stereo Mix", virtual-audio-capturer) given as the system source.
 */
import { ENGINE_SAMPLE_RATE } from '../../src-shared/contracts/audio.ts';

/** A capture backend of ffmpeg. */
export type FfmpegCaptureKind = 'pulse' | 'avfoundation' | 'dshow';

/** Output file descriptors of the two channels in the spawned process. */
export const MIC_FD = 3;
export const SYSTEM_FD = 4;

/** Input arguments of one device for a backend. */
export function deviceInputArgs(kind: FfmpegCaptureKind, device: string): string[] {
  if (!device.trim()) throw new Error(`empty ${kind} device name`);
  switch (kind) {
    case 'pulse':
      return [
        '-f',
        'pulse',
        '-fragment_size',
        '640',
        '-sample_rate',
        String(ENGINE_SAMPLE_RATE),
        '-channels',
        '1',
        '-i',
        device,
      ];
    case 'avfoundation':
      // audio-only device spec is ":<audio device>"; a name or an index from -list_devices
      return ['-f', 'avfoundation', '-i', device.startsWith(':') ? device : `:${device}`];
    case 'dshow':
      return [
        '-f',
        'dshow',
        '-audio_buffer_size',
        '20',
        '-i',
        device.startsWith('audio=') ? device : `audio=${device}`,
      ];
  }
}

/** Output arguments writing input `input` as float32 mono 16 kHz to file descriptor `fd`. */
function channelOutput(input: number, fd: number): string[] {
  return [
    '-map',
    `${input}:a`,
    '-ac',
    '1',
    '-ar',
    String(ENGINE_SAMPLE_RATE),
    '-f',
    'f32le',
    '-flush_packets',
    '1',
    `pipe:${fd}`,
  ];
}

/**
 * The full ffmpeg argument list for a live capture.
 * @param mic microphone device (required).
 * @param system system-output device (a monitor / loopback source), or null when the platform
 *   has none (the system channel then stays silent and the session says so).
 * @returns arguments for `spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] })`.
 */
export function captureArgs(kind: FfmpegCaptureKind, mic: string, system: string | null): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'warning', ...deviceInputArgs(kind, mic)];
  if (system !== null) args.push(...deviceInputArgs(kind, system));
  args.push(...channelOutput(0, MIC_FD));
  if (system !== null) args.push(...channelOutput(1, SYSTEM_FD));
  return args;
}

/** Arguments that make ffmpeg list a backend's devices on stderr (avfoundation / dshow). */
export function listDevicesArgs(kind: 'avfoundation' | 'dshow'): string[] {
  return kind === 'avfoundation'
    ? ['-hide_banner', '-f', 'avfoundation', '-list_devices', 'true', '-i', '']
    : ['-hide_banner', '-f', 'dshow', '-list_devices', 'true', '-i', 'dummy'];
}
