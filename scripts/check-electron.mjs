#!/usr/bin/env node
/**
 * `npm start` runs this first: it says what is missing, and how to get it, when the Electron
 * binary is not installed, instead of the shell's `electron: not found`. Exit 0 when the binary
 * that `require('electron')` names exists (honouring electron's own ELECTRON_OVERRIDE_DIST_PATH),
 * else 1 with the explanation on stderr.
 *
 * `electron` is an optional dependency: where its postinstall could not download the binary
 * (offline machines), scripts/postinstall.mjs unpacks the package for its types only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).optionalDependencies?.electron;
const require = createRequire(join(root, 'package.json'));

let binary = null;
let problem = null;
try {
  binary = require('electron');
  if (typeof binary !== 'string') problem = 'the electron package does not name a binary';
  else if (!existsSync(binary)) problem = `the Electron binary ${binary} does not exist`;
} catch (err) {
  const code = err && typeof err === 'object' ? err.code : undefined;
  problem =
    code === 'MODULE_NOT_FOUND'
      ? 'the optional dependency `electron` is not installed (node_modules/electron is missing)'
      : `the electron package has no binary (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
}
if (problem) {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
    ? ` (ELECTRON_OVERRIDE_DIST_PATH=${process.env.ELECTRON_OVERRIDE_DIST_PATH} points there)`
    : '';
  process.stderr.write(
    `npm start: cannot run the desktop app: ${problem}${override}.\n` +
      `  Electron ${version} is an optional dependency; its binary is downloaded from GitHub at install time,\n` +
      '  which failed or was skipped on this machine. To get it (needs internet):\n' +
      `    rm -rf node_modules/electron && npm install --no-save --no-audit --no-fund electron@${version}\n` +
      '  Without Electron, the same app runs in a browser: npm run web; and the CLI: npx callscope --help\n',
  );
  process.exit(1);
}
