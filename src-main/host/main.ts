/**
 * `npm run web`: loads the engine's models, opens the store and serves the built renderer and the
 * service contracts on 127.0.0.1 with a random per-run token. Prints the address to open.
 * Options: `--port N` (default 0: a free port), `--db PATH` (default $CALLSCOPE_DB or the data
 * folder), `--renderer DIR` (default dist/renderer). SIGINT/SIGTERM shut down gracefully: the
 * running analysis is cancelled, pending writes finish, the database is closed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { RpcServer } from '../../src-shared/ipc/rpc.ts';
import { loadEngineModels } from '../engine/index.ts';
import { checkInstalledModels } from '../engine/models/model-manager.ts';
import { APP_ROOT } from '../engine/inference/registry.ts';
import { openDb, resolveDbPath } from '../store/db.ts';
import { exposeEngineServices } from '../services/index.ts';
import { startWebHost, type WebHost } from './web-host.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    db: { type: 'string' },
    renderer: { type: 'string', default: join(APP_ROOT, 'dist', 'renderer') },
  },
});

if (!existsSync(join(values.renderer, 'index.html'))) {
  console.error(
    `error: ${values.renderer}/index.html missing; build the renderer first (npm run build:renderer)`,
  );
  process.exit(1);
}
const models = await loadEngineModels().catch((err: unknown) => {
  console.error(`callscope: cannot load models: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(3);
});
// models in use were verified while loading (a mismatch stops the host above); installed
// optional models are re-hashed here so a corrupt one is reported now, not when first chosen
for (const f of await checkInstalledModels())
  console.error(`error: model ${f.id}: ${f.error} (shown as "verify failed" in Settings > Models)`);
const dbPath = resolveDbPath(values.db);
const db = openDb(dbPath);
const rpc = new RpcServer();
rpc.onSlowCall = (s, m, ms) => console.error(`slow call ${s}.${m}: ${ms} ms`);
let host: WebHost | null = null;
const engine = exposeEngineServices(rpc, {
  models,
  db,
  dbPath,
  host: 'web',
  uploadPath: (id) => host?.uploadPath(id) ?? null,
});
host = await startWebHost({
  port: Number(values.port),
  rendererDir: values.renderer,
  // a fresh, unpredictable folder only this user can enter (never an existing one)
  uploadDir: await mkdtemp(join(tmpdir(), 'callscope-uploads-')),
  rpc,
  capture: (sessionId) => engine.live.capture.available(sessionId),
});
console.log(`Callscope web host: ${host.url}`);
console.log(`database: ${dbPath}`);

let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await engine.shutdown();
  await host?.close();
  db.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
