#!/usr/bin/env node
/**
 * Post-install step for machines that cannot download the Electron binary.
 *
 * `electron` is an optional dependency: on a machine with internet its own postinstall downloads
 * the binary and `npm start` works. Where that download is impossible (offline CI, air-gapped
 * machines) npm drops the optional package, which would also drop Electron's TypeScript types
 * (`electron.d.ts`) that the main process and preload are typechecked against. This script then
 * unpacks the same pinned `electron` tarball from the npm registry *without* running its install
 * script, so types and `require('electron')` error messages are available, but no binary.
 * It never fails the install: on any problem it prints a warning.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = pkg.optionalDependencies?.electron;
const target = join(root, 'node_modules', 'electron');

if (!version) process.exit(0);
if (existsSync(join(target, 'electron.d.ts'))) process.exit(0);

try {
  const tmp = mkdtempSync(join(tmpdir(), 'callscope-electron-'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const file = execFileSync(npm, ['pack', `electron@${version}`, '--silent'], { cwd: tmp, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(tmp, file), '-C', target, '--strip-components=1']);
  rmSync(tmp, { recursive: true, force: true });
  console.warn(
    `callscope: the Electron ${version} binary could not be installed here; its types were unpacked ` +
      'so the desktop shell typechecks. `npm start` needs a machine that can download Electron.',
  );
} catch (err) {
  console.warn(`callscope: could not unpack Electron types (${err instanceof Error ? err.message : err})`);
}
