/**
 * The machine, load and code a measurement ran on, recorded in every result JSON under
 * `bench/results/` (`npm run eval`, `npm run bench*`, `bench/diar-cv.ts`, `eval:voiceprints`) so
 * that `bench/report.ts` can print each figure with where and when it was measured.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

/** Where and when a result was measured. Written as the `run` field of a result JSON. */
export interface RunRecord {
  /** ISO 8601 UTC time at which the run finished. */
  date: string;
  machine: {
    /** `os.cpus()[0].model`, e.g. "AMD EPYC 7B13"; "unknown" when the OS does not say. */
    cpuModel: string;
    /** Logical cores the OS reports (`os.cpus().length`), ≥ 1. */
    cores: number;
    /** Physical memory in GiB (`os.totalmem()`), one decimal. */
    ramGiB: number;
    /** Node.js version, e.g. "v20.20.2". */
    node: string;
    /** `process.platform`-`process.arch`, e.g. "linux-x64". */
    platform: string;
  };
  /**
   * 1-minute load average (`os.loadavg()[0]`, runnable processes averaged over a minute; on an
   * N-core machine a value above N means the run shared the CPUs) at the start and end of the run.
   */
  loadAverage: { start: number; end: number };
  /** `git rev-parse --short HEAD` of the code measured, "+dirty" when the tree had uncommitted changes; null outside a git checkout. */
  commit: string | null;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The checked-out commit, or null when git or the repository is absent. */
function gitCommit(cwd: string): string | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' });
  if (head.status !== 0 || !head.stdout.trim()) return null;
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], {
    cwd,
    encoding: 'utf8',
  });
  return head.stdout.trim() + (status.status === 0 && status.stdout.trim() ? '+dirty' : '');
}

/**
 * Starts a run record: notes the load average now; `finish()` adds the machine, the end load and
 * the date.
 *
 * @param cwd folder inside the git checkout whose commit is recorded (default: the process's).
 * @example const run = startRunRecord(); …measure…; report.run = run.finish();
 */
export function startRunRecord(cwd: string = process.cwd()): { finish: () => RunRecord } {
  const start = round2(loadavg()[0]);
  return {
    finish: (): RunRecord => ({
      date: new Date().toISOString(),
      machine: {
        cpuModel: cpus()[0]?.model.trim() || 'unknown',
        cores: cpus().length,
        ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      loadAverage: { start, end: round2(loadavg()[0]) },
      commit: gitCommit(cwd),
    }),
  };
}
