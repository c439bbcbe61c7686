/**
 * PulseAudio / PipeWire device listing and choice through `pactl` (run with `LC_ALL=C` so the
 * output is parseable on any locale). The system channel is the default sink's `.monitor`
 * source unless named; a requested monitor that does not exist is an error — the capture never
 * silently falls back to the microphone.
 */
import { execFile } from 'node:child_process';

import { FfmpegCaptureSource } from './ffmpeg-source.ts';

/** One capture source known to the sound server. */
export interface PulseSourceInfo {
  name: string;
  /** Whether it is a sink monitor (the sound a sink plays). */
  monitor: boolean;
  /** `RUNNING`, `IDLE`, `SUSPENDED` … */
  state: string;
}

/** Sources and defaults of the sound server. */
export interface PulseDevices {
  sources: PulseSourceInfo[];
  defaultSource: string | null;
  defaultSink: string | null;
}

/** A device choice problem, shown to the user as one line. */
export class DeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceError';
  }
}

/** Parses `pactl list short sources` (tab-separated: index, name, driver, spec, state). */
export function parseShortSources(text: string): PulseSourceInfo[] {
  return text
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f.length >= 2 && f[1])
    .map((f) => ({ name: f[1], monitor: f[1].endsWith('.monitor'), state: (f[4] ?? '').trim() }));
}

/** Parses `Default Sink:` / `Default Source:` from `pactl info` (LC_ALL=C). */
export function parseInfoDefaults(text: string): {
  defaultSource: string | null;
  defaultSink: string | null;
} {
  const get = (key: string): string | null => {
    const m = new RegExp(`^${key}:\\s*(.+)$`, 'm').exec(text);
    const v = m?.[1].trim();
    return v && v !== '@DEFAULT_SINK@' && v !== '(null)' ? v : null;
  };
  return { defaultSource: get('Default Source'), defaultSink: get('Default Sink') };
}

function pactl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'pactl',
      args,
      { env: { ...process.env, LC_ALL: 'C' }, timeout: 5000 },
      (err, stdout, stderr) => {
        if (err) {
          const why = (stderr || err.message).trim().split('\n').pop();
          reject(new DeviceError(`pactl ${args.join(' ')} failed: ${why} (is PulseAudio/PipeWire running?)`));
        } else resolve(stdout);
      },
    );
  });
}

/** Lists the sound server's sources and defaults. @throws DeviceError when pactl fails. */
export async function listPulseDevices(): Promise<PulseDevices> {
  const [short, info] = await Promise.all([pactl(['list', 'short', 'sources']), pactl(['info'])]);
  return { sources: parseShortSources(short), ...parseInfoDefaults(info) };
}

/**
 * Chooses the two sources of a call.
 * @param mic requested microphone source, or undefined for the default source.
 * @param system requested system source, or undefined for the default sink's `.monitor`.
 * @throws DeviceError when a requested or default source does not exist, when there is no
 *   default sink to monitor, or when the system source is not a monitor of a sink while no
 *   explicit name was given. Never substitutes the microphone for the system channel.
 */
export function choosePulseSources(
  devices: PulseDevices,
  mic?: string,
  system?: string,
): { mic: string; system: string } {
  const names = new Set(devices.sources.map((s) => s.name));
  const known = (): string => (names.size ? [...names].join(', ') : 'none');
  const micName = mic ?? devices.defaultSource;
  if (!micName) throw new DeviceError(`no microphone: no default source (sources: ${known()})`);
  if (!names.has(micName))
    throw new DeviceError(`microphone source "${micName}" not found (sources: ${known()})`);
  let sysName = system;
  if (!sysName) {
    if (!devices.defaultSink)
      throw new DeviceError('no system audio: the sound server has no default sink to monitor');
    sysName = `${devices.defaultSink}.monitor`;
  }
  if (!names.has(sysName)) {
    throw new DeviceError(
      `system source "${sysName}" not found (sources: ${known()}); not falling back to the microphone`,
    );
  }
  if (sysName === micName) throw new DeviceError(`mic and system are the same source "${micName}"`);
  return { mic: micName, system: sysName };
}

/**
 * A live capture of two PulseAudio/PipeWire sources through ffmpeg, watching that both still
 * exist (a removed sink's monitor stream is otherwise moved to the default source by the server).
 */
export function pulseCaptureSource(mic: string, system: string): FfmpegCaptureSource {
  return new FfmpegCaptureSource({
    kind: 'pulse',
    mic,
    system,
    present: async () => {
      const names = new Set(parseShortSources(await pactl(['list', 'short', 'sources'])).map((s) => s.name));
      return { mic: names.has(mic), system: names.has(system) };
    },
  });
}
