import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { decodeReviewCsv, readReviewCsv } from '../core/review.js';
import type { TagFlags } from './options.js';
import { runWork } from './work.js';

/** `phototag apply review.csv`: write exactly what the reviewed CSV says, verified like every write. */
export async function runApply(file: string, flags: TagFlags & { config?: string }, signal: AbortSignal): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UsageError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  // Paths in the CSV are relative to the CSV's own folder, wherever apply is run from.
  const { languages, proposals } = readReviewCsv(decodeReviewCsv(bytes, file), file, path.dirname(path.resolve(file)));
  return runWork({ ...flags, lang: languages.join(','), dryRun: false }, signal, {
    source: 'cli',
    intake: () => [...proposals.keys()],
    total: proposals.size,
    proposals,
  });
}
