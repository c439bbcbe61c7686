/**
 * The models service behind Settings > Models (src-shared/contracts/services.ts `ModelsService`):
 * the engine's model manager (src-main/engine/models/model-manager.ts) with uploads resolved,
 * download progress as `progress` events (≤ 10 Hz per model) and `changed` after every install or
 * removal. A download starts only when the UI calls `download` (an explicit user action).
 */
import { rm } from 'node:fs/promises';

import {
  SERVICE,
  type ModelInstallOptions,
  type ModelsEvents,
  type ModelsService,
  type ModelStatus,
  type ModelVerifyResult,
  type FileRef,
  type ProviderStatus,
} from '../../src-shared/contracts/services.ts';
import type { ProviderSettings } from '../../src-shared/contracts/analysis.ts';
import {
  downloadModel,
  installFromFile,
  listModels,
  modelEntry,
  providerStatus,
  removeModel,
  saveProviderSettings,
  useModel,
  verifyModels,
} from '../engine/models/model-manager.ts';
import { loadEngineModels } from '../engine/index.ts';
import { type EngineServiceDeps, resolveFileRef } from './deps.ts';

/** {@link ModelsService} on the engine side. */
export class ModelManagerService implements ModelsService {
  private lastProgress = new Map<string, number>();

  /**
   * @param deps.mirror tests only (in-process, never over RPC): maps the manifest URL a download
   *   starts from to the address actually fetched (a loopback test server), so a test sees which
   *   URL the Settings download path asked for without touching the network.
   */
  constructor(
    private readonly deps: Pick<EngineServiceDeps, 'uploadPath' | 'pathAllowed' | 'emit' | 'models'> & {
      mirror?: (manifestUrl: string) => string;
    },
  ) {}

  async list(): Promise<ModelStatus[]> {
    return listModels();
  }

  async installFromFile(req: { id: string; file: FileRef } & ModelInstallOptions): Promise<ModelStatus> {
    const path = resolveFileRef(req.file, this.deps);
    try {
      const s = await installFromFile(req.id, path, req);
      this.changed(req.id);
      return s;
    } finally {
      if (req.file.kind === 'upload') await rm(path, { force: true });
    }
  }

  /** Downloads from the model's manifest URL (the only source the contract admits). */
  async download(req: { id: string } & ModelInstallOptions): Promise<ModelStatus> {
    const manifestUrl = this.deps.mirror ? modelEntry(req.id).url : null;
    const s = await downloadModel(req.id, {
      url: manifestUrl && this.deps.mirror ? this.deps.mirror(manifestUrl) : undefined,
      acceptLicense: req.acceptLicense,
      acceptUnverified: req.acceptUnverified,
      onProgress: (p) => {
        const now = Date.now();
        const done = p.totalBytes !== null && p.receivedBytes >= p.totalBytes;
        if (!done && now - (this.lastProgress.get(req.id) ?? 0) < 100) return;
        this.lastProgress.set(req.id, now);
        const ev: ModelsEvents['progress'] = { id: req.id, ...p };
        this.deps.emit(SERVICE.models, 'progress', ev);
      },
    });
    this.changed(req.id);
    return s;
  }

  async verify(): Promise<ModelVerifyResult[]> {
    return verifyModels();
  }

  async remove(id: string): Promise<ModelStatus> {
    const wasActive = this.deps.models.get().models.some((u) => u.id === id);
    const s = await removeModel(id);
    // a removed model in use hands its role back to the default: reload before the next job
    if (wasActive) await this.reload();
    this.changed(id);
    return s;
  }

  async use(id: string): Promise<ModelStatus> {
    const s = await useModel(id);
    await this.reload();
    this.changed(id);
    return s;
  }

  async providers(): Promise<ProviderStatus> {
    return providerStatus(this.inUse());
  }

  async setProviders(settings: ProviderSettings | null): Promise<ProviderStatus> {
    await saveProviderSettings(settings);
    await this.reload();
    this.deps.emit(SERVICE.models, 'changed', { id: '' } satisfies ModelsEvents['changed']);
    return providerStatus(this.inUse());
  }

  private inUse(): ProviderStatus['inUse'] {
    return this.deps.models
      .get()
      .models.map((m) => ({ role: m.role, id: m.id, provider: m.provider ?? null }));
  }

  /**
   * Loads the models now chosen; analyses and live sessions started afterwards use them (running
   * ones keep theirs). @throws when a chosen model fails to load — the previous set stays.
   */
  private async reload(): Promise<void> {
    this.deps.models.replace(await loadEngineModels());
  }

  private changed(id: string): void {
    const ev: ModelsEvents['changed'] = { id };
    this.deps.emit(SERVICE.models, 'changed', ev);
  }
}
