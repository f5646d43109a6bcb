// Lint holds the walls the design relies on: every promise awaited or explicitly caught, and the layers
// (src/core never reaches up into commands, daemon or ui; ui never into commands). Prettier owns formatting.
import tseslint from 'typescript-eslint';

const wall = (layers, why) => ({
  'no-restricted-imports': ['error', { patterns: [{ regex: `(^|/)(${layers.join('|')})/`, message: why }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'tests/**', 'scripts/**', 'bin/**', 'examples/**', '*.mjs', '*.mts'] },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(commands|daemon|ui)/',
              message:
                'src/core is shared by the CLI and the daemon: it never imports src/commands, src/daemon or src/ui (report through events instead).',
            },
          ],
          paths: ['ink', 'react', 'commander', 'telegraf', 'chokidar', 'node:http', 'http'].map((name) => ({
            name,
            message: 'src/core stays free of UI, CLI and server libraries (see DESIGN.md "Shape of the code").',
          })),
        },
      ],
    },
  },
  {
    files: ['src/ui/**/*.ts', 'src/ui/**/*.tsx'],
    rules: wall(['commands'], 'src/ui renders props; it never imports src/commands.'),
  },
);
