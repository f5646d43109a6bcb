import path from 'node:path';
import type { TagFlags } from './options.js';
import { runWork } from './work.js';

export function runTag(files: string[], flags: TagFlags & { config?: string }, signal: AbortSignal): Promise<void> {
  const unique = [...new Set(files.map((file) => path.resolve(file)))];
  return runWork(flags, signal, { source: 'cli', intake: () => unique, total: unique.length });
}
