/**
 * The analysis queue (src-shared/contracts/services.ts `AnalysisService`): one file analysis at a
 * time with throttled progress events and cancellation; each result is labelled from the
 * voiceprint library and saved to the call history, and its speaker embeddings are kept for
 * "remember this voice".
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';

import { STAGES, type AnalysisResult, type Stage } from '../../src-shared/contracts/analysis.ts';
import {
  SERVICE,
  type AnalysisService,
  type AnalyzedCall,
  type JobInfo,
} from '../../src-shared/contracts/services.ts';
import { CancelledError } from '../../src-shared/ipc/rpc.ts';
import { analyzeFile, type SpeakerEmbeddingSet, speakerEmbeddingSetsOf } from '../engine/index.ts';
import { type EngineServiceDeps, fileRefName, resolveFileRef, withFileName } from './deps.ts';
import { keepCallAudio } from './history.ts';
import { saveLabelledCall } from './voiceprint-labels.ts';
import { AppError } from '../../src-shared/errors.ts';

/** Share of a file analysis's run time per stage (measured on the dev set; drives one bar). */
const STAGE_WEIGHT: Record<Stage, number> = {
  decode: 0.05,
  quality: 0.02,
  vad: 0.13,
  segmentation: 0.45,
  embedding: 0.25,
  clustering: 0.04,
  attributes: 0.05,
  export: 0.01,
};

/** Overall progress in [0, 1] from the stage in progress and its completed/total. */
export function overallProgress(stage: Stage, completed: number, total: number): number {
  let done = 0;
  for (const s of STAGES) {
    if (s === stage) break;
    done += STAGE_WEIGHT[s];
  }
  const frac = total > 0 ? Math.min(1, Math.max(0, completed / total)) : 0;
  return Math.min(0.99, done + STAGE_WEIGHT[stage] * frac);
}
interface Job {
  info: JobInfo;
  file: string;
  upload: boolean;
  keepAudio: boolean;
  ctrl: AbortController;
  options: Parameters<AnalysisService['enqueue']>[0]['options'];
  result: AnalyzedCall | null;
}

/** The analysis queue: one job at a time (the engine uses every core for one file). */
export class AnalysisQueue implements AnalysisService {
  private readonly jobsById = new Map<string, Job>();
  private running: Promise<void> | null = null;
  /** Speaker embeddings of calls analysed in this run, for "remember this voice". */
  readonly embeddingsByCall = new Map<number, SpeakerEmbeddingSet[]>();
  private lastEmit = new Map<string, number>();

  constructor(private readonly deps: EngineServiceDeps) {}

  async enqueue(req: Parameters<AnalysisService['enqueue']>[0]): Promise<JobInfo> {
    const file = resolveFileRef(req.file, this.deps);
    const info: JobInfo = {
      id: randomUUID(),
      name: fileRefName(req.file),
      status: 'queued',
      stage: null,
      progress: 0,
      callId: null,
      error: null,
      queuedAt: new Date().toISOString(),
    };
    const job: Job = {
      info,
      file,
      upload: req.file.kind === 'upload',
      keepAudio: req.keepAudio ?? false,
      ctrl: new AbortController(),
      options: req.options,
      result: null,
    };
    this.jobsById.set(info.id, job);
    this.update(job, {}, true);
    this.pump();
    return { ...info };
  }

  async cancel(jobId: string): Promise<void> {
    const job = this.jobsById.get(jobId);
    if (!job) throw new AppError('not_found', `no job ${jobId}`);
    if (job.info.status === 'queued') this.update(job, { status: 'cancelled' }, true);
    job.ctrl.abort();
  }

  async jobs(): Promise<JobInfo[]> {
    return [...this.jobsById.values()].map((j) => ({ ...j.info }));
  }

  async result(jobId: string): Promise<AnalyzedCall> {
    const job = this.jobsById.get(jobId);
    if (!job?.result) throw new AppError('not_found', `job ${jobId} has no result`);
    return job.result;
  }

  /** Resolves when the queue is idle (graceful shutdown waits for the running job's write). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Cancels everything queued or running. */
  cancelAll(): void {
    for (const j of this.jobsById.values())
      if (j.info.status === 'queued' || j.info.status === 'running') void this.cancel(j.info.id);
  }

  private pump(): void {
    if (this.running) return;
    const next = [...this.jobsById.values()].find((j) => j.info.status === 'queued');
    if (!next) return;
    this.running = this.run(next).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async run(job: Job): Promise<void> {
    this.update(job, { status: 'running', stage: 'decode' }, true);
    try {
      const r: AnalysisResult = await analyzeFile(
        job.file,
        this.deps.models.get(),
        job.options ?? {},
        (stage, completed, total) => {
          if (job.ctrl.signal.aborted) throw new CancelledError();
          this.update(job, { stage, progress: overallProgress(stage, completed, total) });
        },
      );
      if (job.ctrl.signal.aborted) throw new CancelledError();
      r.file = job.info.name;
      const embeddings = speakerEmbeddingSetsOf(r);
      const { callId, ids } = saveLabelledCall(
        this.deps.db,
        r,
        embeddings,
        job.upload ? `upload:${job.info.name}` : `file:${job.file}`,
      );
      this.embeddingsByCall.set(callId, embeddings);
      if (job.keepAudio) await keepCallAudio(this.deps.dbPath, callId, job.file, job.upload);
      const voiceprintIds: Record<string, number | null> = {};
      for (const [sid, id] of ids) voiceprintIds[sid] = id.status === 'known' ? id.best!.voiceprintId : null;
      job.result = { callId, result: r, voiceprintIds };
      this.update(job, { status: 'done', progress: 1, stage: null, callId }, true);
    } catch (err) {
      const cancelled = job.ctrl.signal.aborted || (err as Error).name === 'AbortError';
      this.update(
        job,
        {
          status: cancelled ? 'cancelled' : 'failed',
          stage: null,
          error: cancelled ? null : withFileName((err as Error).message, job.file, job.info.name),
        },
        true,
      );
    } finally {
      if (job.upload) await rm(job.file, { force: true });
    }
  }

  private update(job: Job, patch: Partial<JobInfo>, force = false): void {
    Object.assign(job.info, patch);
    const now = Date.now();
    if (!force && now - (this.lastEmit.get(job.info.id) ?? 0) < 100) return;
    this.lastEmit.set(job.info.id, now);
    this.deps.emit(SERVICE.analysis, 'job', { ...job.info });
  }
}
