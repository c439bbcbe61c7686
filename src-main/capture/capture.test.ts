/** Capture units: frame assembly, ffmpeg argument builders, pactl parsing and device choice. */
import { describe, expect, it } from 'vitest';

import { captureArgs, deviceInputArgs, listDevicesArgs } from './ffmpeg-args.ts';
import { choosePulseSources, parseInfoDefaults, parseShortSources, type PulseDevices } from './pulse.ts';
import { FRAME_SAMPLES } from '../engine/audio/capture-frames.ts';
import { FrameAssembler } from './source.ts';

const ramp = (n: number, from: number): Float32Array => Float32Array.from({ length: n }, (_, i) => from + i);

describe('FrameAssembler', () => {
  it('releases 512-sample frames only when both channels have them, keeping sample order', () => {
    const a = new FrameAssembler();
    a.push(0, ramp(700, 0));
    expect(a.drain(0)).toEqual([]);
    a.push(1, ramp(300, 0));
    a.push(1, ramp(800, 300));
    const [f, ...rest] = a.drain(5);
    expect(rest).toEqual([]);
    expect(f.index).toBe(0);
    expect(f.t0).toBe(0);
    expect(f.mic[511]).toBe(511);
    expect(f.system[300]).toBe(300);
    a.push(0, ramp(400, 700));
    const [g] = a.drain(6);
    expect(g.index).toBe(1);
    expect(g.t0).toBeCloseTo(0.032);
    expect(g.mic[0]).toBe(512);
    expect(g.system[0]).toBe(512);
  });

  it('fills a lost channel with zeros and goes on with the other', () => {
    const a = new FrameAssembler();
    a.push(0, ramp(1024, 1));
    a.markLost(1);
    const frames = a.drain(0);
    expect(frames).toHaveLength(2);
    expect(frames[1].system.every((v) => v === 0)).toBe(true);
    expect(frames[1].mic[0]).toBe(513);
    a.push(0, ramp(10, 0));
    expect(a.flush(0)).toHaveLength(1);
    expect(a.flush(0)).toHaveLength(0);
  });

  it('frame size is one Silero frame', () => expect(FRAME_SAMPLES).toBe(512));
});

describe('ffmpeg capture arguments', () => {
  it('pulse: two low-latency inputs, each channel to its own pipe as f32 mono 16 kHz', () => {
    const args = captureArgs('pulse', 'alsa_input.usb', 'alsa_output.pci.monitor');
    expect(args.filter((a) => a === 'pulse')).toHaveLength(2);
    expect(args).toContain('alsa_input.usb');
    expect(args.join(' ')).toContain(
      '-fragment_size 640 -sample_rate 16000 -channels 1 -i alsa_output.pci.monitor',
    );
    expect(args.join(' ')).toContain('-map 0:a -ac 1 -ar 16000 -f f32le -flush_packets 1 pipe:3');
    expect(args.join(' ')).toContain('-map 1:a -ac 1 -ar 16000 -f f32le -flush_packets 1 pipe:4');
  });

  it('avfoundation: audio-only device spec; no system device → a single output', () => {
    expect(deviceInputArgs('avfoundation', '0')).toEqual(['-f', 'avfoundation', '-i', ':0']);
    expect(deviceInputArgs('avfoundation', ':MacBook Pro Microphone')).toEqual([
      '-f',
      'avfoundation',
      '-i',
      ':MacBook Pro Microphone',
    ]);
    const args = captureArgs('avfoundation', 'MacBook Pro Microphone', null);
    expect(args).not.toContain('pipe:4');
    expect(args).toContain('pipe:3');
    expect(captureArgs('avfoundation', '0', 'BlackHole 2ch').join(' ')).toContain('-i :BlackHole 2ch');
  });

  it('dshow: audio=<name>, loopback device as system', () => {
    expect(deviceInputArgs('dshow', 'Microphone (Realtek)')).toEqual([
      '-f',
      'dshow',
      '-audio_buffer_size',
      '20',
      '-i',
      'audio=Microphone (Realtek)',
    ]);
    expect(captureArgs('dshow', 'Mic', 'Stereo Mix').join(' ')).toContain('-i audio=Stereo Mix');
    expect(listDevicesArgs('dshow')).toContain('-list_devices');
    expect(() => deviceInputArgs('dshow', ' ')).toThrow(/empty/);
  });
});

const PACTL_SOURCES = [
  '0\talsa_output.pci-0000_00_1f.3.analog-stereo.monitor\tmodule-alsa-card.c\ts16le 2ch 48000Hz\tSUSPENDED',
  '1\talsa_input.pci-0000_00_1f.3.analog-stereo\tmodule-alsa-card.c\ts16le 2ch 48000Hz\tRUNNING',
  '',
].join('\n');
const PACTL_INFO = `Server String: /run/user/1000/pulse/native
Default Sink: alsa_output.pci-0000_00_1f.3.analog-stereo
Default Source: alsa_input.pci-0000_00_1f.3.analog-stereo
Cookie: 1234`;

describe('pactl parsing and device choice', () => {
  const devices: PulseDevices = {
    sources: parseShortSources(PACTL_SOURCES),
    ...parseInfoDefaults(PACTL_INFO),
  };

  it('parses sources and defaults (LC_ALL=C output)', () => {
    expect(devices.sources).toEqual([
      { name: 'alsa_output.pci-0000_00_1f.3.analog-stereo.monitor', monitor: true, state: 'SUSPENDED' },
      { name: 'alsa_input.pci-0000_00_1f.3.analog-stereo', monitor: false, state: 'RUNNING' },
    ]);
    expect(devices.defaultSink).toBe('alsa_output.pci-0000_00_1f.3.analog-stereo');
  });

  it('defaults: the default source as mic and the default sink monitor as system', () => {
    expect(choosePulseSources(devices)).toEqual({
      mic: 'alsa_input.pci-0000_00_1f.3.analog-stereo',
      system: 'alsa_output.pci-0000_00_1f.3.analog-stereo.monitor',
    });
  });

  it('never falls back to the mic when the monitor is missing', () => {
    const noMonitor: PulseDevices = { ...devices, sources: devices.sources.filter((s) => !s.monitor) };
    expect(() => choosePulseSources(noMonitor)).toThrow(/not found.*not falling back to the microphone/);
    expect(() => choosePulseSources(devices, undefined, 'other.monitor')).toThrow(/not falling back/);
    expect(() => choosePulseSources({ ...devices, defaultSink: null })).toThrow(/no default sink/);
    expect(() => choosePulseSources(devices, 'nope')).toThrow(/microphone source "nope" not found/);
  });
});
