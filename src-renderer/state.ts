/**
 * App state (zustand): the connection, the current view and theme, the analysis queue as the
 * engine reports it, and results by job. Views read slices; only event handlers write.
 */
import { create } from 'zustand';

import type { AnalyzeOptions } from '../src-shared/contracts/analysis.ts';
import type { AnalyzedCall, JobInfo } from '../src-shared/contracts/services.ts';
import type { Connection } from './bridge.ts';

export type View = 'files' | 'live' | 'library' | 'history' | 'settings';
export type Theme = 'dark' | 'light';

interface AppState {
  conn: Connection | null;
  connError: string | null;
  view: View;
  theme: Theme;
  jobs: JobInfo[];
  results: Record<string, AnalyzedCall>;
  selectedJob: string | null;
  /** Bumped whenever the library changes (views refetch). */
  libraryVersion: number;
  /**
   * Files added while the engine is unreachable: kept here and sent in order when the connection
   * is back (the Files view lists them as waiting).
   */
  pendingFiles: File[];
  addPending(files: File[]): void;
  takePending(): File[];
  /** Reconnection state while the engine is lost: attempt number and when the next try starts. */
  reconnect: { attempt: number; atMs: number } | null;
  setReconnect(r: { attempt: number; atMs: number } | null): void;
  /**
   * The recording the user added, per job id, while this page is open: Files plays turns and
   * speakers back from it (nothing is uploaded again).
   */
  audioFiles: Record<string, File>;
  keepFile(jobId: string, file: File): void;
  /** Settings > Privacy: keep a copy of analysed recordings so History can play them (default off). */
  keepAudio: boolean;
  setKeepAudio(v: boolean): void;
  /** Options every new file analysis uses (Settings → Analysis), kept in localStorage. */
  analyzeOptions: AnalyzeOptions;
  setAnalyzeOptions(o: AnalyzeOptions): void;
  setConn(conn: Connection | null, error?: string): void;
  setView(v: View): void;
  setTheme(t: Theme): void;
  upsertJob(j: JobInfo): void;
  setResult(jobId: string, r: AnalyzedCall): void;
  select(jobId: string | null): void;
  bumpLibrary(): void;
}

const storedTheme = (): Theme => (localStorage.getItem('callscope.theme') === 'light' ? 'light' : 'dark');
const storedOptions = (): AnalyzeOptions => {
  try {
    const o = JSON.parse(localStorage.getItem('callscope.analyzeOptions') ?? '{}') as AnalyzeOptions;
    return typeof o === 'object' && o ? o : {};
  } catch {
    return {};
  }
};

export const useApp = create<AppState>((set, get) => ({
  pendingFiles: [],
  addPending: (files) => set((s) => ({ pendingFiles: [...s.pendingFiles, ...files] })),
  takePending: () => {
    const files = get().pendingFiles;
    set({ pendingFiles: [] });
    return files;
  },
  reconnect: null,
  audioFiles: {},
  keepFile: (jobId, file) => set((s) => ({ audioFiles: { ...s.audioFiles, [jobId]: file } })),
  keepAudio: localStorage.getItem('callscope.keepAudio') === 'true',
  setKeepAudio: (keepAudio) => {
    localStorage.setItem('callscope.keepAudio', String(keepAudio));
    set({ keepAudio });
  },
  setReconnect: (reconnect) => set({ reconnect }),
  conn: null,
  connError: null,
  view: 'files',
  theme: storedTheme(),
  jobs: [],
  results: {},
  selectedJob: null,
  libraryVersion: 0,
  analyzeOptions: storedOptions(),
  setAnalyzeOptions: (analyzeOptions) => {
    localStorage.setItem('callscope.analyzeOptions', JSON.stringify(analyzeOptions));
    set({ analyzeOptions });
  },
  setConn: (conn, error) => set({ conn, connError: error ?? null }),
  setView: (view) => set({ view }),
  setTheme: (theme) => {
    localStorage.setItem('callscope.theme', theme);
    set({ theme });
  },
  upsertJob: (j) =>
    set((s) => {
      const i = s.jobs.findIndex((x) => x.id === j.id);
      const jobs = i < 0 ? [...s.jobs, j] : s.jobs.map((x) => (x.id === j.id ? j : x));
      return { jobs };
    }),
  setResult: (jobId, r) => set((s) => ({ results: { ...s.results, [jobId]: r }, selectedJob: jobId })),
  select: (selectedJob) => set({ selectedJob }),
  bumpLibrary: () => set((s) => ({ libraryVersion: s.libraryVersion + 1 })),
}));

export { errorText, hideUploadPaths } from './error-text.ts';
