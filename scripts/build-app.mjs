#!/usr/bin/env node
// Bundles the Electron main process (ESM), the engine's utilityProcess entry (ESM), its ONNX worker
// thread (ESM) and the sandboxed preload (CommonJS) into dist/app with esbuild. The renderer is built by vite into
// dist/renderer (`npm run build:renderer`). Modules that locate files relative to their own source
// (`import.meta.url`, e.g. the model registry's APP_ROOT) keep their source-relative meaning: each
// bundled module's `import.meta.url` is rewritten to the URL its source file would have.
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const external = ['electron', 'onnxruntime-node', 'better-sqlite3', 'node-vad', 'ffmpeg-static', 'ws'];
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]src-(main|shared)[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const rel = relative(resolve(root, 'dist', 'app'), args.path)
        .split('\\')
        .join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: 'ts',
      };
    });
  },
};
const common = { bundle: true, platform: 'node', target: 'node20', external, plugins: [sourceUrls] };
await build({ ...common, entryPoints: ['src-main/app/main.ts'], outfile: 'dist/app/main.js', format: 'esm' });
// The engine and its ONNX worker thread (inference/onnx-worker.ts): the banner gives bundled
// CommonJS dependencies a `require`, and tells the engine where the bundle lies, so that it starts
// dist/app/onnx-worker.js rather than the TypeScript source.
const engineBanner = {
  js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url); globalThis.__callscopeBundleUrl = import.meta.url;",
};
await build({
  ...common,
  entryPoints: ['src-main/app/engine-process.ts'],
  outfile: 'dist/app/engine.js',
  format: 'esm',
  banner: engineBanner,
});
await build({
  ...common,
  entryPoints: ['src-main/engine/inference/onnx-worker-entry.ts'],
  outfile: 'dist/app/onnx-worker.js',
  format: 'esm',
  banner: engineBanner,
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
console.log('built dist/app/main.js, dist/app/engine.js, dist/app/onnx-worker.js and dist/app/preload.cjs');
