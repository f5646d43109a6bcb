import { createRequire } from 'node:module';

// require() of CommonJS commander costs ~12 ms; an ESM import of it ~32 ms (the CJS lexer) — on the --help path.
export const { Command, CommanderError, InvalidArgumentError, Option } = createRequire(import.meta.url)('commander') as typeof import('commander');
export type { Command as CommandType } from 'commander';
