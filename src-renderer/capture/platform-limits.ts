/**
 * What the user is told when a capture track cannot be had: permission denied, no device, the
 * browser or OS cannot share system audio (macOS before 13, Linux browsers outside a tab share, a
 * sharing dialog where "Share audio" was left unticked). Pure: tested in vitest, shown in the Live
 * view as is — the limits are reported, never hidden.
 */

/** The platform as far as it matters for system-audio loopback. */
export type CapturePlatform = 'mac' | 'windows' | 'linux' | 'other';

/** Where the renderer runs: the Electron desktop app or a browser against the web host. */
export type CaptureHost = 'electron' | 'web';

/** The platform from a user-agent string (`navigator.userAgent`). */
export function platformOf(userAgent: string): CapturePlatform {
  if (/Mac OS X|Macintosh/.test(userAgent)) return 'mac';
  if (/Windows/.test(userAgent)) return 'windows';
  if (/Linux|X11|CrOS/.test(userAgent)) return 'linux';
  return 'other';
}

const errName = (e: unknown): string =>
  e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '';
const errMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** One line on why the microphone cannot be captured. */
export function micProblem(e: unknown): string {
  switch (errName(e)) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'microphone permission denied: allow microphone access for Callscope (browser site settings, or the system privacy settings) and start again';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no microphone found on this computer';
    case 'NotReadableError':
    case 'AbortError':
      return `the microphone cannot be opened (in use by another application, or a driver problem): ${errMessage(e)}`;
    default:
      return `the microphone cannot be captured: ${errMessage(e)}`;
  }
}

/** Why there is no system audio when `getDisplayMedia` is missing, refused, or returned no audio. */
export function systemProblem(
  e: unknown | null,
  platform: CapturePlatform,
  host: CaptureHost,
  hasApi = true,
): string {
  const base = 'System audio not available';
  if (!hasApi) return `${base}: this browser cannot share system audio (no getDisplayMedia)`;
  if (e) {
    const name = errName(e);
    if (name === 'NotAllowedError')
      return platform === 'mac' && host === 'electron'
        ? `${base}: screen and system audio recording is not allowed for Callscope; grant it in System Settings › Privacy & Security › Screen & System Audio Recording`
        : `${base}: sharing was declined or is blocked by the browser`;
    if (name === 'NotSupportedError' || name === 'TypeError')
      return `${base}: this browser cannot share system audio (${errMessage(e)})`;
    return `${base}: ${errMessage(e)}`;
  }
  // the sharing succeeded but carried no audio track
  if (host === 'electron') {
    if (platform === 'mac')
      return `${base}: system-audio loopback needs macOS 13 (Ventura) or later and the Screen & System Audio Recording permission; on older macOS route the output through a loopback device (e.g. BlackHole) and use it as the system source`;
    if (platform === 'linux')
      return `${base}: this desktop session offers no loopback for shared screens; use the PulseAudio/PipeWire source ("This computer (mic + system output)")`;
    return `${base}: this platform offered no loopback audio with the shared screen`;
  }
  if (platform === 'linux')
    return `${base}: on Linux the browser shares audio of a browser tab only; share a tab with "Share tab audio" ticked, or use the PulseAudio/PipeWire source`;
  return `${base}: the sharing carried no audio; share the entire screen (Windows) or a tab and tick "Share system audio"`;
}
