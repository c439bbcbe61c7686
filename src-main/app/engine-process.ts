/**
 * The engine in an Electron utilityProcess (off the main thread, STYLE.md 7): loads the models,
 * opens the store (`CALLSCOPE_DB`, set by main to the user-data folder) and serves the app's
 * service contracts to each renderer main relays, one RPC peer per webContents; a `capture-port`
 * message brings a renderer's browser-capture MessagePort, which feeds that live session's
 * renderer source directly. On `shutdown` it
 * cancels the running analysis, waits for pending writes and closes the database before exiting.
 */
import type { RpcMessage, Transport } from '../../src-shared/contracts/transport.ts';
import { RpcServer } from '../../src-shared/ipc/rpc.ts';
import { loadEngineModels } from '../engine/index.ts';
import { openDb, resolveDbPath } from '../store/db.ts';
import { feedFromPort } from '../capture/renderer-source.ts';
import { exposeEngineServices } from '../services/index.ts';
import { type EngineMessage, EngineMessageSchema } from './engine-protocol.ts';
import { FileGrants } from './file-grants.ts';

const parent = process.parentPort;
const post = (m: EngineMessage): void => parent.postMessage(m);

try {
  const models = await loadEngineModels();
  const dbPath = resolveDbPath();
  const db = openDb(dbPath);
  const rpc = new RpcServer();
  rpc.onSlowCall = (s, m, ms) => console.error(`slow call ${s}.${m}: ${ms} ms`);
  // path references: only files the user picked or dropped in this session (main relays them)
  const grants = new FileGrants();
  const engine = exposeEngineServices(rpc, {
    models,
    db,
    dbPath,
    host: 'electron',
    uploadPath: () => null,
    pathAllowed: (p) => grants.allows(p),
  });
  const peers = new Map<number, { receivers: Set<(m: RpcMessage) => void>; closers: Set<() => void> }>();
  const peer = (id: number): { receivers: Set<(m: RpcMessage) => void>; closers: Set<() => void> } => {
    let p = peers.get(id);
    if (!p) {
      const q = { receivers: new Set<(m: RpcMessage) => void>(), closers: new Set<() => void>() };
      const t: Transport = {
        send: (msg) => post({ type: 'rpc', peer: id, msg }),
        onMessage: (cb) => (q.receivers.add(cb), () => q.receivers.delete(cb)),
        onClose: (cb) => (q.closers.add(cb), () => q.closers.delete(cb)),
      };
      peers.set(id, q);
      rpc.connect(t);
      p = q;
    }
    return p;
  };
  parent.on('message', (e) => {
    const parsed = EngineMessageSchema.safeParse(e.data);
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.type === 'rpc') for (const r of peer(m.peer).receivers) r(m.msg);
    else if (m.type === 'file-grant') grants.record(m.path);
    else if (m.type === 'capture-port') {
      const [port] = e.ports;
      const source = engine.live.capture.available(m.sessionId);
      if (!port) return;
      if (!source) return port.close();
      feedFromPort(source, {
        onMessage: (cb) => port.on('message', (ev) => cb(ev.data)),
        onClose: (cb) => port.on('close', cb),
        close: () => port.close(),
      });
      port.start();
    } else if (m.type === 'peer-closed') {
      peers.get(m.peer)?.closers.forEach((c) => c());
      peers.delete(m.peer);
    } else if (m.type === 'shutdown') {
      void engine.shutdown().then(() => {
        db.close();
        process.exit(0);
      });
    }
  });
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}
