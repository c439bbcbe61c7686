/**
 * The loopback web host: serves the built renderer on 127.0.0.1 and the app's service contracts
 * over WebSocket (`/rpc`), with file uploads for analysis (`POST /upload`) and the renderer's live
 * capture stream (`/capture?session=ID`, binary frames of src-shared/contracts/capture.ts). Every
 * API request must
 * carry the random per-run token; the Host header must name the loopback address (DNS-rebinding
 * guard) and WebSocket origins must be the host itself. Messages are validated with zod on receipt
 * (src-shared/ipc/rpc.ts).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, statSync } from 'node:fs';
import { chmod, lstat, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { WebSocketServer, type WebSocket } from 'ws';

import { CAPTURE_SESSION_PARAM, CAPTURE_WS_PATH } from '../../src-shared/contracts/capture.ts';
import {
  type RpcMessage,
  TOKEN_PARAM,
  type Transport,
  UPLOAD_PATH,
  WS_PATH,
} from '../../src-shared/contracts/transport.ts';
import type { RpcServer } from '../../src-shared/ipc/rpc.ts';
import type { RendererCaptureSource } from '../capture/renderer-source.ts';
import { rendererMimeType } from '../../src-shared/formats/mime.ts';

/** Largest accepted upload, bytes (4 GiB: a long call as WAV). */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
/**
 * Largest accepted WebSocket message, bytes: a voiceprint library import (at most 32 M characters,
 * src-main/store/exchange.ts) in its envelope. A larger message closes the socket (1009).
 */
export const MAX_WS_MESSAGE_BYTES = 33 * 1024 ** 2;
/** Largest accepted capture message, bytes (a 1 s two-channel frame is 128 kB). */
export const MAX_CAPTURE_MESSAGE_BYTES = 256 * 1024;

/** Options of {@link startWebHost}. */
export interface WebHostOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Folder of the built renderer (`dist/renderer`). */
  rendererDir: string;
  /**
   * Folder uploads are written to (deleted on close): a fresh folder from `mkdtemp`, private to this
   * user. @throws from {@link startWebHost} when it is missing, not a folder of this user, or
   * open to others (a predictable or pre-created folder could be read or swapped by another user).
   */
  uploadDir: string;
  rpc: RpcServer;
  /** Fixed token (tests); default 32 random hex characters. */
  token?: string;
  /**
   * The renderer capture source a `/capture` stream of this session id may feed, or null (unknown
   * session, ended, or already fed); without it the route is refused.
   */
  capture?: (sessionId: string) => RendererCaptureSource | null;
}

/** A running web host. */
export interface WebHost {
  /** `http://127.0.0.1:PORT/?token=…` — the address to open. */
  url: string;
  port: number;
  token: string;
  /** Path of an upload id, or null. */
  uploadPath(id: string): string | null;
  close(): Promise<void>;
}

/** Content-Security-Policy of the served renderer: its own files and its own WebSocket only. */
export function webCsp(port: number): string {
  return (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
    `connect-src 'self' ws://127.0.0.1:${port}; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`
  );
}

/** A `ws` socket as a {@link Transport} (JSON text frames). */
export function wsTransport(ws: WebSocket): Transport {
  return {
    send: (msg: RpcMessage) => ws.send(JSON.stringify(msg)),
    onMessage: (cb) => {
      const h = (data: Buffer, isBinary: boolean): void => {
        if (isBinary) return;
        try {
          cb(JSON.parse(data.toString('utf8')) as RpcMessage);
        } catch {
          // not JSON: dropped (the envelope is validated by the RPC layer anyway)
        }
      };
      ws.on('message', h);
      return () => ws.off('message', h);
    },
    onClose: (cb) => {
      ws.on('close', cb);
      return () => ws.off('close', cb);
    },
  };
}

/**
 * Feeds a capture source from a `/capture` socket: binary messages are frames, text messages JSON
 * control messages; a refused message closes the socket with status 1007 and the reason, the source
 * ending closes it with 1000, the socket closing ends the source (after the frames received).
 */
export function attachCaptureSocket(ws: WebSocket, source: RendererCaptureSource): void {
  source.connect((reason, error) => ws.close(error ? 1007 : 1000, reason.slice(0, 120)));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    try {
      if (isBinary) source.pushFrame(data);
      else source.pushControl(JSON.parse(data.toString('utf8')));
    } catch {
      // the source has ended and closed the socket with the reason
    }
  });
  ws.on('close', () => source.disconnect());
}

/**
 * Makes sure the upload folder is private: an existing folder (from `mkdtemp`) owned by this user,
 * mode 0700 (tightened here when looser: `mkdtemp` honours the umask on some systems).
 * @throws Error naming the folder and the problem.
 */
export async function checkUploadDir(dir: string): Promise<void> {
  const st = await lstat(dir).catch(() => null);
  if (!st || !st.isDirectory())
    throw new Error(`upload folder ${dir}: missing or not a folder; create it with mkdtemp`);
  if (process.platform === 'win32') return;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    throw new Error(`upload folder ${dir}: owned by another user; refusing to store uploads there`);
  if ((st.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/** Starts the host. Resolves once it listens on 127.0.0.1. */
export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = opts.token ?? randomBytes(16).toString('hex');
  const uploads = new Map<string, string>();
  await checkUploadDir(opts.uploadDir);
  const rendererDir = resolve(opts.rendererDir);
  let port = opts.port;

  const hostOk = (req: IncomingMessage): boolean =>
    req.headers.host === `127.0.0.1:${port}` || req.headers.host === `localhost:${port}`;
  const tokenOk = (url: URL): boolean => url.searchParams.get(TOKEN_PARAM) === token;

  const send = (
    res: ServerResponse,
    status: number,
    body: string,
    type = 'text/plain; charset=utf-8',
  ): void => {
    res.writeHead(status, {
      'Content-Type': type,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(body);
  };

  const serveStatic = async (url: URL, res: ServerResponse): Promise<void> => {
    let rel: string;
    try {
      rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    } catch {
      return send(res, 400, 'bad path');
    }
    if (rel.includes('\0')) return send(res, 400, 'bad path');
    const file = normalize(join(rendererDir, rel));
    if (!file.startsWith(rendererDir + sep) || !statSync(file, { throwIfNoEntry: false })?.isFile())
      return send(res, 404, 'not found');
    const body = await readFile(file);
    res.writeHead(200, {
      'Content-Type': rendererMimeType(extname(file)),
      'Content-Security-Policy': webCsp(port),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    res.end(body);
  };

  const upload = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const length = Number(req.headers['content-length'] ?? NaN);
    if (!Number.isFinite(length) || length <= 0 || length > MAX_UPLOAD_BYTES) {
      // refused before reading the body: answer, then close the connection (the body is not read)
      res.setHeader('Connection', 'close');
      return send(res, 413, `upload needs a Content-Length of 1 to ${MAX_UPLOAD_BYTES} bytes`);
    }
    const id = randomBytes(16).toString('hex');
    const path = join(opts.uploadDir, id);
    try {
      await pipeline(req, createWriteStream(path, { mode: 0o600 }));
    } catch {
      await rm(path, { force: true });
      return send(res, 400, 'upload failed');
    }
    uploads.set(id, path);
    send(res, 200, JSON.stringify({ uploadId: id }), 'application/json');
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!hostOk(req)) return send(res, 421, 'wrong host');
    if (url.pathname === UPLOAD_PATH) {
      if (req.method !== 'POST') return send(res, 405, 'POST only');
      if (!tokenOk(url)) return send(res, 403, 'bad token');
      void upload(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only');
    void serveStatic(url, res).catch(() => send(res, 500, 'error'));
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
  const captureWss = new WebSocketServer({ noServer: true, maxPayload: MAX_CAPTURE_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const origin = req.headers.origin;
    const originOk =
      !origin || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    const refuse = (status: string): void => {
      socket.write(`HTTP/1.1 ${status}\r\n\r\n`);
      socket.destroy();
    };
    const known = url.pathname === WS_PATH || (url.pathname === CAPTURE_WS_PATH && !!opts.capture);
    if (!known || !hostOk(req) || !tokenOk(url) || !originOk) return refuse('403 Forbidden');
    if (url.pathname === CAPTURE_WS_PATH) {
      const source = opts.capture!(url.searchParams.get(CAPTURE_SESSION_PARAM) ?? '');
      if (!source) return refuse('404 Not Found');
      captureWss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => ws.terminate());
        attachCaptureSocket(ws, source);
      });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // a protocol error (e.g. a message over maxPayload: close 1009) ends this socket only; without
      // a listener the 'error' event would throw and stop the whole host
      ws.on('error', () => ws.terminate());
      opts.rpc.connect(wsTransport(ws));
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, '127.0.0.1', () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?${TOKEN_PARAM}=${token}`,
    port,
    token,
    uploadPath: (id) => uploads.get(id) ?? null,
    close: async () => {
      for (const c of [...wss.clients, ...captureWss.clients]) c.terminate();
      wss.close();
      captureWss.close();
      await new Promise<void>((ok) => server.close(() => ok()));
      await rm(opts.uploadDir, { recursive: true, force: true });
    },
  };
}
