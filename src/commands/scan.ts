import fs from 'node:fs';
import { UsageError } from '../core/errors.js';
import { walkPhotos } from '../core/walk.js';
import type { TagFlags } from './options.js';
import { runWork } from './work.js';
import { escapeControls } from '../core/escape.js';

export interface ScanFlags extends TagFlags {
  include?: string[];
  exclude?: string[];
  maxDepth?: number;
}

export function runScan(dirs: string[], flags: ScanFlags & { config?: string }, signal: AbortSignal): Promise<void> {
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) throw new UsageError(`${dir}: no such folder`);
    if (!fs.statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a folder (to tag single photos use \`phototag tag\`)`);
  }
  return runWork(flags, signal, {
    source: 'scan',
    quietUnchanged: true,
    intake: (_session, notice) =>
      walkPhotos(dirs, {
        include: flags.include,
        exclude: flags.exclude,
        maxDepth: flags.maxDepth,
        onSkip: (file, reason) => notice(`${escapeControls(file)}: ${reason}`),
      }),
  });
}
