/**
 * The web host's `/capture` WebSocket route for browser capture, over a real socket on 127.0.0.1:
 * the per-run token, Host and Origin checks of `/rpc` apply; only a session with a waiting renderer
 * source can be fed, once; binary frames reach the source; a refused frame closes the socket with
 * status 1007 and the reason.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { encodeCaptureFrame } from '../../src-shared/contracts/capture.ts';
import { RpcServer } from '../../src-shared/ipc/rpc.ts';
import { RendererCaptureHub, RendererCaptureSource } from '../capture/renderer-source.ts';
import type { CaptureItem } from '../engine/audio/capture-frames.ts';
import { startWebHost, type WebHost } from './web-host.ts';

let dir: string;
let host: WebHost;
const hub = new RendererCaptureHub();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callscope-capture-host-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Callscope</title>');
  host = await startWebHost({
    port: 0,
    rendererDir: dir,
    uploadDir: await mkdtemp(join(dir, 'uploads-')),
    rpc: new RpcServer(),
    capture: (id) => hub.available(id),
  });
});
afterAll(async () => {
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

const url = (session: string, token = host.token): string =>
  `ws://127.0.0.1:${host.port}/capture?token=${token}&session=${session}`;

/** Opens a socket; resolves with it when open, or with the HTTP status of the refusal. */
function open(u: string, origin?: string): Promise<WebSocket | number> {
  return new Promise((ok) => {
    const ws = new WebSocket(u, origin ? { origin } : {});
    ws.once('open', () => ok(ws));
    ws.once('unexpected-response', (_req, res) => ok(res.statusCode ?? 0));
    ws.once('error', () => ok(-1));
  });
}

const frame = (seq: number, sampleRate = 16_000): ArrayBuffer =>
  encodeCaptureFrame({
    sampleRate,
    seq,
    t0: seq * 0.032,
    micLive: true,
    systemLive: true,
    mic: new Float32Array(512).fill(0.25),
    system: new Float32Array(512).fill(-0.5),
  });

async function collect(src: RendererCaptureSource): Promise<CaptureItem[]> {
  const out: CaptureItem[] = [];
  for await (const it of src.items()) out.push(it);
  return out;
}

describe('web host /capture', () => {
  it('refuses a bad token, a foreign origin and an unknown session', async () => {
    hub.register('a', new RendererCaptureSource({ mic: true, system: true }));
    expect(await open(url('a', 'f'.repeat(32)))).toBe(403);
    expect(await open(url('a'), 'http://evil.example')).toBe(403);
    expect(await open(url('unknown'))).toBe(404);
    await hub.available('a')!.stop();
    expect(await open(url('a'))).toBe(404); // ended
  });

  it('feeds frames to the session source; a second stream for it is refused', async () => {
    const src = new RendererCaptureSource({ mic: true, system: true });
    hub.register('b', src);
    const items = collect(src);
    const ws = (await open(url('b'))) as WebSocket;
    expect(ws).toBeInstanceOf(WebSocket);
    expect(await open(url('b'))).toBe(404);
    for (let k = 0; k < 3; k++) ws.send(frame(k));
    ws.send(JSON.stringify({ type: 'end', message: 'stopped by the user' }));
    const all = await items;
    const frames = all.filter((i) => i.type === 'frame');
    expect(frames).toHaveLength(3);
    expect(frames[2].system[511]).toBe(-0.5);
    expect(all.at(-1)).toMatchObject({ type: 'device', state: 'ended', message: 'stopped by the user' });
    ws.terminate();
  });

  it('a frame at 48 kHz closes the stream with 1007 and the reason; earlier frames are kept', async () => {
    const src = new RendererCaptureSource({ mic: true, system: true });
    hub.register('c', src);
    const items = collect(src);
    const ws = (await open(url('c'))) as WebSocket;
    const closed = new Promise<[number, string]>((ok) =>
      ws.once('close', (code, r) => ok([code, r.toString()])),
    );
    ws.send(frame(0));
    ws.send(frame(1, 48_000));
    const [code, reason] = await closed;
    expect(code).toBe(1007);
    expect(reason).toMatch(/sample rate 48000 Hz, expected 16000 Hz/);
    const all = await items;
    expect(all.filter((i) => i.type === 'frame')).toHaveLength(1);
  });
});
