/**
 * Runs the `callscope` CLI inside the current process and captures what it prints — for tests and
 * tools that drive the CLI exactly as a user would, without spawning Node.
 */
import { CommanderError } from 'commander';

import { buildProgram } from './main.ts';

/** What one in-process run printed and its exit code. */
export interface CliRun {
  /** Exit code the command set (usage errors: commander's code, e.g. 1). */
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `callscope <args…>` in-process.
 * @returns the exit code and everything written to stdout and stderr; a usage error (unknown or
 *   missing option) is returned as commander's exit code and message, not thrown.
 * @throws whatever the command throws besides commander's usage errors.
 */
export async function runCli(...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  let code = -1;
  const program = buildProgram({ stdout: (s) => (out += s), stderr: (s) => (err += s) }, (c) => (code = c));
  try {
    await program.parseAsync(['node', 'callscope', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
    err += e.message + '\n';
  }
  return { code, out, err };
}
