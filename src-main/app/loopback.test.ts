/** The desktop app's system-audio loopback decision per platform (macOS version limit). */
import { describe, expect, it } from 'vitest';

import { loopbackConfig } from './loopback.ts';

describe('loopbackConfig', () => {
  it('Windows: native loopback, no feature flags', () => {
    expect(loopbackConfig('win32', '10.0.22631')).toEqual({
      audio: 'loopback',
      enableFeatures: [],
      reason: null,
    });
  });

  it('macOS 13 and later: ScreenCaptureKit loopback features; before 13: none, with the reason', () => {
    expect(loopbackConfig('darwin', '13.0').audio).toBe('loopback');
    expect(loopbackConfig('darwin', '14.2.1').enableFeatures).toContain('MacLoopbackAudioForScreenShare');
    const old = loopbackConfig('darwin', '12.7.4');
    expect(old.audio).toBeNull();
    expect(old.reason).toMatch(/macOS 12\.7\.4.*macOS 13 or later/);
    expect(loopbackConfig('darwin', '').audio).toBeNull();
  });

  it('Linux: PulseAudio/PipeWire loopback feature; other platforms: none', () => {
    expect(loopbackConfig('linux', '6.1.0').enableFeatures).toEqual(['PulseaudioLoopbackForScreenShare']);
    expect(loopbackConfig('freebsd', '14').audio).toBeNull();
  });
});
