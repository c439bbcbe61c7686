/**
 * System-audio loopback for the browser-capture source in the desktop app: whether main answers
 * `getDisplayMedia` with `audio: 'loopback'` and which Chromium features it must enable before the
 * app is ready. Windows has loopback natively (Electron documents it as Windows-only); macOS 13+
 * gets it through ScreenCaptureKit (`MacLoopbackAudioForScreenShare`,
 * `MacSckSystemAudioLoopbackOverride`; reported to deliver silence on some macOS/Electron
 * versions — the engine then raises its "channel silent" warning); Linux through PulseAudio/PipeWire
 * (`PulseaudioLoopbackForScreenShare`). Elsewhere the screen is shared without audio and the
 * renderer tells the user "System audio not available" (src-renderer/capture/platform-limits.ts).
 * Pure, so it is unit-tested without Electron.
 */

/** The loopback decision for one platform. */
export interface LoopbackConfig {
  /** `'loopback'` when system audio can be requested with the shared screen, else null. */
  audio: 'loopback' | null;
  /** Chromium features to enable (`--enable-features`), before `app.whenReady()`. */
  enableFeatures: string[];
  /** Why there is no loopback (logged; the renderer shows its own message), or null. */
  reason: string | null;
}

/**
 * @param platform `process.platform`.
 * @param systemVersion `process.getSystemVersion()` (e.g. `13.4.1` on macOS, `10.0.22631` on Windows).
 */
export function loopbackConfig(platform: string, systemVersion: string): LoopbackConfig {
  if (platform === 'win32') return { audio: 'loopback', enableFeatures: [], reason: null };
  if (platform === 'darwin') {
    const major = Number.parseInt(systemVersion.split('.')[0] ?? '', 10);
    if (!(major >= 13))
      return {
        audio: null,
        enableFeatures: [],
        reason: `macOS ${systemVersion}: system-audio loopback needs macOS 13 or later`,
      };
    return {
      audio: 'loopback',
      enableFeatures: ['MacLoopbackAudioForScreenShare', 'MacSckSystemAudioLoopbackOverride'],
      reason: null,
    };
  }
  if (platform === 'linux')
    return { audio: 'loopback', enableFeatures: ['PulseaudioLoopbackForScreenShare'], reason: null };
  return { audio: null, enableFeatures: [], reason: `no system-audio loopback on ${platform}` };
}
