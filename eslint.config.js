// The linter: typescript-eslint's recommended rules, and the import boundaries that keep the pure parts
// pure (no file system, no adapters, no commands in detection, features, the table, planning, composing).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PURE_BOUNDARY = {
  patterns: [
    { group: ['node:fs', 'node:fs/*', 'fs', 'node:child_process'], message: 'pure module: no I/O here (take data, return data)' },
    { group: ['**/adapters/*', '**/commands/*'], message: 'pure module: adapters and commands are called from commands, not from here' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'work/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        structuredClone: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/detect/**/*.ts', 'src/features/**/*.ts', 'src/table/**/*.ts', 'src/block/plan.ts', 'src/notify/compose.ts'],
    ignores: ['src/features/build.ts', 'src/features/worker.ts'],
    rules: { 'no-restricted-imports': ['error', PURE_BOUNDARY] },
  },
);
