/**
 * The service layer behind the app's contracts (src-shared/contracts/services.ts and
 * history.ts), shared by the Electron engine process (src-main/app/engine-process.ts) and the
 * web host (src-main/host/main.ts): one file per service (analysis, library, history, app, live,
 * models) on {@link EngineServiceDeps} (deps.ts). This file exposes them on an RPC server; it
 * knows nothing about the transport in front.
 */
import {
  CONTRACTS,
  SERVICE,
  type AnalysisService,
  type AppService,
  type LibraryService,
  type LiveControlService,
  type ModelsService,
} from '../../src-shared/contracts/services.ts';
import type { HistoryService } from '../../src-shared/contracts/history.ts';
import { exposeService, type RpcServer } from '../../src-shared/ipc/rpc.ts';
import type { EngineModels } from '../engine/index.ts';
import { AnalysisQueue } from './analysis.ts';
import { App } from './app.ts';
import { type EngineServiceDeps, ModelsHolder } from './deps.ts';
import { History } from './history.ts';
import { Library } from './library.ts';
import { LiveControl } from './live.ts';
import { ModelManagerService } from './models.ts';

/**
 * Exposes every service on `server` with argument validation. `deps.models` is the set loaded at
 * start-up; the services share one {@link ModelsHolder} for it (returned as `models`), which the
 * models service replaces when the user changes a model or the execution providers.
 * @returns the analysis queue, the live service (its `capture` hub feeds renderer capture), the
 *   models holder, and `shutdown`.
 */
export function exposeEngineServices(
  server: RpcServer,
  deps: Omit<EngineServiceDeps, 'emit' | 'models'> & { models: EngineModels },
): { queue: AnalysisQueue; live: LiveControl; models: ModelsHolder; shutdown: () => Promise<void> } {
  const models = new ModelsHolder(deps.models);
  const full: EngineServiceDeps = { ...deps, models, emit: (s, e, p) => server.emit(s, e, p) };
  const queue = new AnalysisQueue(full);
  const live = new LiveControl(full);
  // exactly the contract's methods are callable (CONTRACTS, src-shared/contracts/services.ts)
  exposeService<LiveControlService>(server, SERVICE.live, live, CONTRACTS.live);
  exposeService<AnalysisService>(server, SERVICE.analysis, queue, CONTRACTS.analysis);
  exposeService<LibraryService>(server, SERVICE.library, new Library(full, queue), CONTRACTS.library);
  exposeService<HistoryService>(
    server,
    SERVICE.history,
    new History(deps.db, deps.dbPath),
    CONTRACTS.history,
  );
  exposeService<AppService>(server, SERVICE.app, new App(full), CONTRACTS.app);
  exposeService<ModelsService>(server, SERVICE.models, new ModelManagerService(full), CONTRACTS.models);
  /** Cancels queued/running analyses, stops the live session, waits for pending writes. */
  const shutdown = async (): Promise<void> => {
    queue.cancelAll();
    await live.stopAll();
    await queue.idle();
  };
  return { queue, live, models, shutdown };
}
