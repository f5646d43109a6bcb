import type { TagFlags } from './options.js';
import { runWork } from './work.js';

export function runTag(files: string[], flags: TagFlags & { config?: string }, signal: AbortSignal): Promise<void> {
  return runWork(flags, signal, { source: 'cli', intake: () => files, total: files.length });
}
