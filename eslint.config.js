import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers of src/ and what each may import (docs/ARCHITECTURE.md, "Layers"). Imports point
// downwards only; a layer not listed for a folder is refused with the rule's message.
const LAYERS = [
  'core',
  'log',
  'store',
  'output',
  'http',
  'sources',
  'download',
  'jobs',
  'queue',
  'demo',
  'cli',
  'server',
  'web',
];
const MAY_IMPORT = {
  core: [],
  log: ['core'],
  store: ['core'],
  output: ['core'],
  http: ['core', 'log'],
  sources: ['core', 'http'],
  download: ['core', 'http', 'output', 'log'],
  jobs: ['core', 'log', 'store', 'output', 'http', 'sources', 'download'],
  queue: ['core', 'jobs', 'store', 'log'],
  demo: ['core', 'log', 'store', 'output', 'http', 'sources', 'download', 'jobs', 'queue'],
  // The browser UI is bundled on its own (scripts/build-web.mjs): the shapes it shares with the
  // API live in core.
  web: ['core'],
};

function layerRule(layer) {
  const refused = LAYERS.filter((other) => other !== layer && !MAY_IMPORT[layer].includes(other));
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${refused.join('|')})/`,
              message: `src/${layer}/ may import only ${MAY_IMPORT[layer].join(', ') || 'nothing of src/'} (docs/ARCHITECTURE.md, "Layers").`,
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: ['node_modules', 'dist', 'web-dist', 'downloads', 'data', 'logs', 'coverage', 'test-output', 'bench/tmp'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        document: 'readonly',
        window: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        URLSearchParams: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        setImmediate: 'readonly',
        clearImmediate: 'readonly',
        HTMLElement: 'readonly',
        localStorage: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  // Type-aware rules: a promise nobody awaits, a promise where a callback's result is ignored, a
  // switch over a union that forgets a member.
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  ...Object.keys(MAY_IMPORT).map(layerRule),
);
