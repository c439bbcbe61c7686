#!/usr/bin/env node
// Bundles the Electron main process (ESM) and the sandboxed preload (CommonJS) into dist/app with
// esbuild. The renderer bundle arrives with the desktop-app issue.
import { build } from 'esbuild';

const external = ['electron', 'onnxruntime-node', 'better-sqlite3', 'node-vad', 'ffmpeg-static'];
await build({
  entryPoints: ['src-main/app/main.ts'],
  outfile: 'dist/app/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
});
await build({
  entryPoints: ['src-main/app/preload/preload.ts'],
  outfile: 'dist/app/preload.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['electron'],
});
console.log('built dist/app/main.js and dist/app/preload.cjs');
