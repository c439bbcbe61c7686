/**
 * Issue 12: the security review replayed against the real web host (`startWebHost` with the real
 * engine services, real models and a real SQLite database, as `npm run web` runs them). Every
 * attack must fail; each test names the finding it guards.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { RpcServer } from '../../src-shared/ipc/rpc.ts';
import { loadEngineModels } from '../engine/index.ts';
import { exposeEngineServices } from '../services/index.ts';
import { MAX_UPLOAD_BYTES, startWebHost, type WebHost } from '../host/web-host.ts';
import { type Db, openDb } from '../store/db.ts';
import { createTmpDir, type TmpDir, useSharedModels } from '../test-support.ts';

let tmp: TmpDir;
let db: Db;
let host: WebHost;
let engine: ReturnType<typeof exposeEngineServices>;
/** A file the attacker wants deleted or read. */
let victim: string;
let uploadDir: string;

beforeAll(async () => {
  useSharedModels();
  tmp = await createTmpDir('web-attacks');
  const renderer = join(tmp.path, 'renderer');
  await mkdir(join(renderer, 'assets'), { recursive: true });
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Callscope</title>');
  await writeFile(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  // a sibling folder whose name starts with the renderer folder's: must not be served either
  await mkdir(join(tmp.path, 'renderer-secret'));
  await writeFile(join(tmp.path, 'renderer-secret', 'key.txt'), 'SECRET');
  victim = join(tmp.path, 'victim.txt');
  await writeFile(victim, 'precious');
  const dbPath = join(tmp.path, 'c.db');
  db = openDb(dbPath);
  const rpc = new RpcServer();
  let h: WebHost | null = null;
  engine = exposeEngineServices(rpc, {
    models: await loadEngineModels({ ageGender: null }),
    db,
    dbPath,
    host: 'web',
    uploadPath: (id) => h?.uploadPath(id) ?? null,
  });
  h = host = await startWebHost({
    port: 0,
    rendererDir: renderer,
    uploadDir: (uploadDir = await mkdtemp(join(tmp.path, 'uploads-'))),
    rpc,
    capture: (id) => engine.live.capture.available(id),
  });
});
afterAll(async () => {
  await engine.shutdown();
  await host.close();
  db.close();
  await tmp.cleanup();
});

/** A raw WebSocket to the host; resolves when open, rejects with the HTTP refusal. */
function open(path: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}${path}`, { headers });
    ws.once('open', () => ok(ws));
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => {
      fail(new Error(`HTTP ${res.statusCode}`));
      ws.terminate();
    });
  });
}

const rpcPath = (token = host.token): string => `/rpc?token=${token}`;

/** Sends one call envelope and waits for its reply (result or error). */
function call(
  ws: WebSocket,
  service: string,
  method: string,
  args: unknown[],
): Promise<Record<string, unknown>> {
  const id = Math.floor(Math.random() * 1e9);
  return new Promise((ok) => {
    const h = (data: Buffer): void => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (m.id === id) {
        ws.off('message', h);
        ok(m);
      }
    };
    ws.on('message', h);
    ws.send(JSON.stringify({ t: 'call', id, service, method, args }));
  });
}

/** A raw HTTP request (no URL normalisation by the client). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: host.port,
        method,
        path,
        headers: { Host: `127.0.0.1:${host.port}`, ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => ok({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', fail);
    // a body written before end() without Content-Length goes out chunked (no declared length)
    if (body && headers['Content-Length'] === undefined) req.write(body);
    req.end(headers['Content-Length'] === undefined ? undefined : body);
  });
}

describe('web host attacks (issue 12)', () => {
  it('finding 1: the review PoC — analysis.run on an arbitrary path with upload:true is unknown; the file survives', async () => {
    const ws = await open(rpcPath());
    const job = { info: { id: 'x', status: 'queued' }, file: victim, upload: true, ctrl: {}, options: {} };
    const r = await call(ws, 'analysis', 'run', [job]);
    expect(r).toMatchObject({ t: 'error', error: { code: 'unknown_method' } });
    expect((r.error as { message: string }).message).toMatch(/unknown method analysis\.run/);
    for (const [s, m] of [
      ['analysis', 'update'],
      ['analysis', 'cancelAll'],
      ['analysis', 'pump'],
      ['analysis', 'idle'],
      ['analysis', 'constructor'],
      ['analysis', '__proto__'],
      ['models', 'reload'],
      ['models', 'changed'],
      ['live', 'stopAll'],
      ['live', 'sourceFor'],
      ['library', 'changed'],
    ])
      expect(await call(ws, s!, m!, [job]), `${s}.${m}`).toMatchObject({ error: { code: 'unknown_method' } });
    expect(await readFile(victim, 'utf8')).toBe('precious');
    ws.close();
  });

  it('finding 2: path file refs are refused with one generic error, existing or not, on every service', async () => {
    const ws = await open(rpcPath());
    const messages = new Set<string>();
    for (const path of ['/etc/shadow', '/etc/passwd', victim, '/no/such/file.wav', '../../etc/passwd']) {
      const file = { kind: 'path', path };
      for (const [s, m, args] of [
        ['analysis', 'enqueue', [{ file }]],
        ['library', 'enrollFromFile', [{ name: 'X', consent: 'yes', file }]],
        ['models', 'installFromFile', [{ id: 'silero-vad-v5', file }]],
        ['live', 'start', [{ source: { kind: 'replay', file, speed: 1 } }]],
      ] as const) {
        const r = await call(ws, s, m, [...args]);
        expect(r, `${s}.${m} ${path}`).toMatchObject({ t: 'error', error: { code: 'not_allowed' } });
        messages.add((r.error as { message: string }).message);
      }
    }
    expect(messages.size).toBe(1); // nothing tells an existing file from a missing one
    expect([...messages][0]).not.toMatch(/etc|shadow|victim|no such/);
    expect(await call(ws, 'analysis', 'jobs', [])).toMatchObject({ t: 'result', value: [] });
    expect(await readFile(victim, 'utf8')).toBe('precious');
    ws.close();
  });

  it('refuses a foreign Origin or Host on every route (DNS rebinding, cross-site WebSocket)', async () => {
    await expect(open(rpcPath(), { Origin: 'https://evil.example' })).rejects.toThrow(/403/);
    await expect(open(rpcPath(), { Origin: 'null' })).rejects.toThrow(/403/);
    await expect(open(rpcPath(), { Host: 'evil.example' })).rejects.toThrow(/403/);
    await expect(
      open(`/capture?token=${host.token}&session=x`, { Origin: 'https://evil.example' }),
    ).rejects.toThrow(/403/);
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/assets/app.js'],
      ['POST', `/upload?token=${host.token}`],
    ] as const) {
      const r = await raw(method, path, { Host: 'evil.example', 'Content-Length': '1' }, Buffer.from('x'));
      expect(r.status, `${method} ${path}`).toBe(421);
    }
    const rebind = await raw('GET', '/', { Host: `evil.example:${host.port}` });
    expect(rebind.status).toBe(421);
  });

  it('refuses a missing or wrong token on every API route, /capture included', async () => {
    for (const q of [
      '',
      '?token=',
      '?token=wrong',
      `?token=${host.token.toUpperCase()}x`,
      `?token=${host.token.slice(1)}`,
    ]) {
      await expect(open(`/rpc${q}`), `/rpc${q}`).rejects.toThrow(/403/);
      await expect(open(`/capture${q}${q ? '&' : '?'}session=x`), `/capture${q}`).rejects.toThrow(/403/);
      const up = await raw('POST', `/upload${q}`, { 'Content-Length': '4' }, Buffer.from('RIFF'));
      expect(up.status, `/upload${q}`).toBe(403);
    }
    // with the token, an unknown capture session is still refused
    await expect(open(`/capture?token=${host.token}&session=nope`)).rejects.toThrow(/404/);
    await expect(open(`/other?token=${host.token}`)).rejects.toThrow(/403/);
  });

  it('refuses oversize and unsized uploads before storing anything', async () => {
    const before = readdirSync(uploadDir);
    const huge = await raw('POST', `/upload?token=${host.token}`, {
      'Content-Length': String(MAX_UPLOAD_BYTES + 1),
    });
    expect(huge.status).toBe(413);
    const chunked = await raw(
      'POST',
      `/upload?token=${host.token}`,
      { 'Transfer-Encoding': 'chunked' },
      Buffer.from('x'),
    );
    expect(chunked.status).toBe(413);
    const zero = await raw('POST', `/upload?token=${host.token}`, { 'Content-Length': '0' });
    expect(zero.status).toBe(413);
    expect(readdirSync(uploadDir)).toEqual(before);
  });

  it('serves nothing outside the renderer folder (static path traversal)', async () => {
    for (const path of [
      '/../../etc/passwd',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2f..%2fetc%2fpasswd',
      '/..%5c..%5c..%5cetc%5cpasswd',
      '/../renderer-secret/key.txt',
      '/..%2frenderer-secret%2fkey.txt',
      '/%2e%2e%2frenderer-secret%2fkey.txt',
      '/%00',
      '/%E0%A4%A',
      '/index.html%00.png',
    ]) {
      const r = await raw('GET', path);
      expect([400, 404], path).toContain(r.status);
      expect(r.body, path).not.toMatch(/root:|SECRET/);
    }
    expect((await raw('GET', '/assets/app.js')).status).toBe(200);
  });

  it('survives malformed RPC envelopes on the socket and keeps serving', async () => {
    const ws = await open(rpcPath());
    const junk: (string | Buffer)[] = [
      'not json',
      '{"t":"call"}',
      '{"t":"call","id":-1,"service":"app","method":"info","args":[]}',
      '{"t":"call","id":1,"service":"app","method":"info","args":"x"}',
      JSON.stringify({ t: 'call', id: 2, service: 'app', method: 'info', args: new Array(17).fill(0) }),
      JSON.stringify({ t: 'call', id: 3, service: 'a'.repeat(101), method: 'info', args: [] }),
      JSON.stringify({ t: 'call', id: 4, service: 'app', method: 'info', args: [], __proto__: { x: 1 } }),
      '{"t":"call","id":5,"service":"app","method":"info","args":[],"constructor":{"prototype":{"polluted":1}}}',
      '{"t":"result","id":6,"value":1}',
      '{"t":"event","service":"analysis","event":"job","payload":{}}',
      '{"t":"nope"}',
      'null',
      '[]',
      Buffer.from([0, 1, 2, 3]),
    ];
    for (const j of junk) ws.send(j);
    const r = await call(ws, 'library', 'rename', ['1', '']);
    expect(r).toMatchObject({ t: 'error', error: { name: 'ValidationError' } });
    expect(await call(ws, 'history', 'list', [{}])).toMatchObject({ t: 'result' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    ws.close();
  });

  it('closes a socket that sends a 50 MB JSON message (1009) and keeps serving others', async () => {
    const ws = await open(rpcPath());
    const closed = new Promise<number>((ok) => ws.once('close', (code) => ok(code)));
    const big = JSON.stringify({
      t: 'call',
      id: 1,
      service: 'library',
      method: 'importLibrary',
      args: ['x'.repeat(50e6)],
    });
    ws.send(big);
    expect(await closed).toBe(1009);
    const ok = await open(rpcPath());
    expect(await call(ok, 'analysis', 'jobs', [])).toMatchObject({ t: 'result' });
    ok.close();
    expect(existsSync(victim)).toBe(true);
  });
});
