import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';

import type { RpcMessage, Transport } from '../../src-shared/contracts/transport.ts';
import { exposeService, proxyService, RpcClient, RpcServer } from '../../src-shared/ipc/rpc.ts';
import { checkUploadDir, startWebHost, type WebHost } from './web-host.ts';

interface Echo {
  echo(s: string): Promise<string>;
  size(uploadId: string): Promise<number>;
}

let dir: string;
let host: WebHost;
const rpc = new RpcServer();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callscope-host-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Callscope</title>');
  exposeService<Echo>(
    rpc,
    'echo',
    {
      echo: async (s: string) => s.toUpperCase(),
      size: async (id: string) => (await readFile(host.uploadPath(id)!)).length,
    },
    { echo: z.tuple([z.string().max(10)]), size: z.tuple([z.string().regex(/^[a-f0-9]{32}$/)]) },
  );
  host = await startWebHost({
    port: 0,
    rendererDir: dir,
    uploadDir: await mkdtemp(join(dir, 'uploads-')),
    rpc,
  });
});
afterAll(async () => {
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

function wsClient(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ client: RpcClient; ws: WebSocket }> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, { headers });
    ws.once('error', fail);
    ws.once('open', () => {
      const t: Transport = {
        send: (m) => ws.send(JSON.stringify(m)),
        onMessage: (cb) => {
          const h = (d: Buffer): void => cb(JSON.parse(d.toString()) as RpcMessage);
          ws.on('message', h);
          return () => ws.off('message', h);
        },
      };
      ok({ client: new RpcClient(t), ws });
    });
  });
}

describe('loopback web host', () => {
  it('listens on 127.0.0.1 with a random 128-bit token in the address', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{32}$/);
  });

  it('serves the renderer with a CSP that allows only itself', async () => {
    const res = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await fetch(`http://127.0.0.1:${host.port}/../../etc/passwd`)).status).toBe(404);
  });

  it('carries the service contract over WebSocket, validating arguments on receipt', async () => {
    const { client, ws } = await wsClient(`ws://127.0.0.1:${host.port}/rpc?token=${host.token}`);
    const echo = proxyService<Echo>(client, 'echo');
    expect(await echo.echo('hi')).toBe('HI');
    await expect(echo.echo('far too long a string')).rejects.toMatchObject({ name: 'ValidationError' });
    ws.close();
  });

  it('refuses WebSockets without the token or from another origin', async () => {
    await expect(wsClient(`ws://127.0.0.1:${host.port}/rpc?token=wrong`)).rejects.toThrow(/403/);
    await expect(
      wsClient(`ws://127.0.0.1:${host.port}/rpc?token=${host.token}`, { Origin: 'https://evil.example' }),
    ).rejects.toThrow(/403/);
  });

  it('accepts uploads only with the token and hands the engine the file', async () => {
    const body = new Uint8Array(1234).fill(7);
    expect(
      (await fetch(`http://127.0.0.1:${host.port}/upload?token=nope`, { method: 'POST', body })).status,
    ).toBe(403);
    const res = await fetch(`http://127.0.0.1:${host.port}/upload?token=${host.token}`, {
      method: 'POST',
      body,
    });
    const { uploadId } = (await res.json()) as { uploadId: string };
    const { client, ws } = await wsClient(`ws://127.0.0.1:${host.port}/rpc?token=${host.token}`);
    expect(await proxyService<Echo>(client, 'echo').size(uploadId)).toBe(1234);
    ws.close();
  });

  it('stores uploads only in a private mkdtemp folder: refuses a missing one, tightens a loose one (issue 12, 8)', async () => {
    await expect(checkUploadDir(join(dir, 'no-such'))).rejects.toThrow(/missing or not a folder/);
    const loose = await mkdtemp(join(dir, 'loose-'));
    await chmod(loose, 0o777);
    await checkUploadDir(loose);
    if (process.platform !== 'win32') expect((await stat(loose)).mode & 0o777).toBe(0o700);
    await expect(
      startWebHost({ port: 0, rendererDir: dir, uploadDir: join(dir, 'predictable'), rpc: new RpcServer() }),
    ).rejects.toThrow(/missing or not a folder/);
  });

  it('rejects requests whose Host header is not the loopback address (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((ok) =>
      request({ host: '127.0.0.1', port: host.port, path: '/', headers: { Host: 'evil.example' } }, (r) =>
        ok(r.statusCode!),
      ).end(),
    );
    expect(status).toBe(421);
  });
});
