import path from 'node:path';
import { loadConfig } from '../core/config/load.js';
import { UsageError } from '../core/errors.js';
import { openStore, type Session } from '../core/session.js';
import type { RetryFilter } from '../core/store.js';
import { StoreQueue } from '../core/queue.js';
import { flagsToConfig, type TagFlags } from './options.js';
import { runWork } from './work.js';

export interface RetryFlags extends TagFlags {
  since?: string;
  kind?: string;
  list?: boolean;
}

export async function runRetry(paths: string[], flags: RetryFlags & { config?: string }, signal: AbortSignal): Promise<void> {
  const filter: RetryFilter = { since: flags.since === undefined ? undefined : parseSince(flags.since), kind: flags.kind, paths: paths.length ? paths.map((p) => path.resolve(p)) : undefined };
  if (flags.list) return listFailures(filter, flags);
  return runWork({ ...flags, dryRun: false }, signal, {
    source: 'cli',
    intake: () => [],
    before: (session: Session) => {
      const count = (session.queue as StoreQueue).requeue(filter);
      return count === 0 ? 'nothing to retry: no failed photos match' : `retrying ${count} photo${count === 1 ? '' : 's'}`;
    },
  });
}

async function listFailures(filter: RetryFilter, flags: RetryFlags & { config?: string }): Promise<void> {
  const { config } = await loadConfig({ configFile: flags.config, flags: flagsToConfig(flags) });
  const store = openStore(config);
  try {
    const rows = store.failures(filter);
    if (flags.json) {
      for (const row of rows) process.stdout.write(`${JSON.stringify({ file: row.path, errorKind: row.kind, error: row.error, attempts: row.attempts, failedAt: new Date(row.updatedAt).toISOString() })}\n`);
      return;
    }
    for (const row of rows) process.stdout.write(`${new Date(row.updatedAt).toISOString().replace('T', ' ').slice(0, 19)}  ${row.kind ?? '?'}  ${row.path}: ${row.error ?? ''}\n`);
    process.stdout.write(`${rows.length} failed photo${rows.length === 1 ? '' : 's'}\n`);
  } finally {
    store.close();
  }
}

/** "2026-11-01", an ISO time, or a span back from now: "90m", "12h", "7d". */
export function parseSince(value: string, now = Date.now()): number {
  const span = /^(\d+)\s*(m|h|d|w)$/u.exec(value.trim());
  if (span) return now - Number(span[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[span[2] as 'm' | 'h' | 'd' | 'w'];
  const date = Date.parse(value);
  if (Number.isNaN(date)) throw new UsageError(`--since takes a date (2026-11-01) or a span (90m, 12h, 7d); got "${value}" (string)`);
  return date;
}
