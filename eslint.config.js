// ESLint flat config. Layering rules (STYLE.md 5, docs/ARCHITECTURE.md "Who may import whom"):
// src-shared is pure TypeScript (no node:*, no electron, no DOM globals); src-renderer never
// imports src-main or Node/Electron; only src-main/engine/inference imports onnxruntime-node;
// inside src-main dependencies point down (app/host/cli -> services -> engine/store/capture):
// the engine imports no store/capture/services/host/cli/app and, outside engine/models, no model
// management; the store imports no engine; capture imports no store; services import no
// app/host/cli; and there is no import cycle anywhere (import-x/no-cycle, type-only imports
// excepted). `src-main/lint-layering.test.ts` checks that each rule really fires.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'stream',
  'url',
  'util',
  'events',
  'worker_threads',
];

const onnxPath = {
  name: 'onnxruntime-node',
  message: 'Only src-main/engine/inference may import onnxruntime-node.',
};
/**
 * Import specifiers that reach into a sibling folder of src-main (`**` also matches the `../`
 * steps of a relative specifier), one group per layer.
 */
const layer = (name) => [`**/${name}/*`, `../${name}/*`, `../../${name}/*`, `../../../${name}/*`];
const storeImports = layer('store');
const engineImports = ['**/engine/*', '../engine/*', '../engine/**', '../../engine/**'];
/** Layers built on the engine (and on the store): neither may import them. */
const upperLayers = ['capture', 'services', 'host', 'cli', 'app'];
const upperImports = upperLayers.flatMap(layer);
/** Model management (downloads, install records): engine/models, used by services and the CLI. */
const modelManagementImports = ['../models/*', './models/*', '**/engine/models/*'];

const engineLayerPatterns = [
  { group: storeImports, message: 'src-main/engine never imports the store.' },
  {
    group: upperImports,
    message: 'src-main/engine imports none of capture/, services/, host/, cli/, app/: they are built on it.',
  },
];
const noModelManagement = {
  group: modelManagementImports,
  message:
    'Inference and the pipeline do not depend on model management (src-main/engine/models): services and the CLI call it.',
};

/** Every linted source file: the no-cycle rule follows imports across all of them. */
const sourceFiles = [
  'src-main/**/*.ts',
  'src-shared/**/*.ts',
  'src-renderer/**/*.ts',
  'src-renderer/**/*.tsx',
  'bench/**/*.ts',
  'e2e/**/*.ts',
  'scripts/**/*.mjs',
  'scripts/**/*.ts',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'out/**',
      'bench/results/**',
      'e2e/screenshots/**',
      'training/**',
      'callscope-out/**',
      'scratch/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: [
      'src-main/**/*.ts',
      'bench/**/*.ts',
      'scripts/**/*.mjs',
      'bin/**/*.js',
      'e2e/**/*.ts',
      '*.config.*',
    ],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['src-main/**/*.ts', 'bench/**/*.ts', 'e2e/**/*.ts'],
    ignores: ['src-main/engine/inference/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [onnxPath],
        },
      ],
    },
  },
  // Dependencies point down (ARCHITECTURE.md "Process model"): the engine persists through sink
  // interfaces and reads live input through its own CaptureSource interface; src-main/services
  // joins engine, store and capture. Tests may wire real parts of other layers in.
  {
    files: ['src-main/engine/**/*.ts'],
    ignores: ['src-main/engine/**/*.test.ts', 'src-main/engine/inference/**', 'src-main/engine/models/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [onnxPath], patterns: [...engineLayerPatterns, noModelManagement] },
      ],
    },
  },
  {
    files: ['src-main/engine/inference/**/*.ts'],
    ignores: ['src-main/engine/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...engineLayerPatterns, noModelManagement] }],
    },
  },
  {
    files: ['src-main/engine/models/**/*.ts'],
    ignores: ['src-main/engine/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [onnxPath], patterns: engineLayerPatterns }],
    },
  },
  {
    files: ['src-main/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [onnxPath],
          patterns: [
            {
              group: engineImports,
              message: 'src-main/store is persistence only: it imports nothing from the engine.',
            },
            {
              group: upperImports,
              message: 'src-main/store imports none of capture/, services/, host/, cli/, app/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/capture/**/*.ts'],
    ignores: ['src-main/capture/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [onnxPath],
          patterns: [
            {
              group: storeImports,
              message: 'src-main/capture never imports the store: src-main/services joins them.',
            },
            {
              group: ['services', 'host', 'cli', 'app'].flatMap(layer),
              message: 'src-main/capture imports none of services/, host/, cli/, app/: they are built on it.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-main/services/**/*.ts'],
    ignores: ['src-main/services/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [onnxPath],
          patterns: [
            {
              group: ['host', 'cli', 'app'].flatMap(layer),
              message:
                'src-main/services imports none of host/, cli/, app/: the transports are built on the services.',
            },
          ],
        },
      ],
    },
  },
  // no import cycles anywhere (type-only imports excepted: they vanish at run time)
  {
    files: sourceFiles,
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs'] })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src-shared/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'src-shared is pure TypeScript: no Node built-ins.' },
            { group: ['electron', 'electron/*'], message: 'src-shared must not import electron.' },
            {
              group: ['**/src-main/**', '../src-main/**', '**/src-renderer/**'],
              message: 'src-shared imports nothing from other layers.',
            },
            { group: ['react', 'react-dom', 'react-dom/*'], message: 'src-shared has no DOM/React code.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'process', 'Buffer', 'require'],
    },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src-main/**', '../src-main/**'],
              message: 'src-renderer talks to the engine only through src-renderer/bridge.ts.',
            },
            { group: nodeBuiltins, message: 'src-renderer runs in a sandboxed renderer: no Node built-ins.' },
            {
              group: ['electron', 'electron/*'],
              message: 'src-renderer must not import electron; use the bridge.',
            },
            {
              group: ['onnxruntime-node'],
              message: 'Only src-main/engine/inference may import onnxruntime-node.',
            },
          ],
        },
      ],
    },
  },
);
