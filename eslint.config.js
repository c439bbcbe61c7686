// ESLint flat config. Layering rules (STYLE.md 5): src-shared is pure TypeScript (no node:*, no
// electron, no DOM globals); src-renderer never imports src-main or Node/Electron; only
// src-main/engine/inference imports onnxruntime-node; src-main/engine and src-main/store never
// import each other. `src-main/lint-layering.test.ts` checks that each rule really fires.
import js from '@eslint/js';
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
/** Import specifiers that reach into src-main/store (resp. src-main/engine) from a sibling folder. */
const storeImports = ['**/store/*', '../store/*', '../../store/*', '../../../store/*'];
const engineImports = ['**/engine/*', '../engine/*', '../engine/**', '../../engine/**'];

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
  // engine and store never import each other (ARCHITECTURE.md "Process model"): the engine
  // persists through sink interfaces and src-main/services joins the two. Integration tests of the
  // engine may wire a real store in.
  {
    files: ['src-main/engine/**/*.ts'],
    ignores: ['src-main/engine/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [onnxPath],
          patterns: [{ group: storeImports, message: 'src-main/engine never imports the store.' }],
        },
      ],
    },
  },
  {
    files: ['src-main/engine/inference/**/*.ts'],
    ignores: ['src-main/engine/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: storeImports, message: 'src-main/engine never imports the store.' }] },
      ],
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
          ],
        },
      ],
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
