import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { readReviewCsv } from '../core/review.js';
import type { TagFlags } from './options.js';
import { runWork } from './work.js';

/** `phototag apply review.csv`: write exactly what the reviewed CSV says, verified like every write. */
export async function runApply(file: string, flags: TagFlags & { config?: string }, signal: AbortSignal): Promise<void> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const { languages, proposals } = readReviewCsv(text, file);
  const resolved = new Map([...proposals].map(([photo, proposal]) => [path.resolve(photo), proposal]));
  return runWork({ ...flags, lang: languages.join(','), dryRun: false }, signal, {
    source: 'cli',
    intake: () => [...resolved.keys()],
    total: resolved.size,
    proposals: resolved,
  });
}
