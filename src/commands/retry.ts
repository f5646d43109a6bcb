import path from 'node:path';
import { loadConfig } from '../core/config/load.js';
import { openStore } from '../core/data-dir.js';
import type { Session } from '../core/session.js';
import type { RetryFilter } from '../core/store.js';
import { StoreQueue } from '../core/queue.js';
import { flagsToConfig, type TagFlags } from './options.js';
import { parseSince } from './since.js';
import { runWork } from './work.js';
import { escapeControls } from '../core/escape.js';

export interface RetryFlags extends TagFlags {
  since?: string;
  kind?: string;
  list?: boolean;
}

export async function runRetry(paths: string[], flags: RetryFlags & { config?: string }, signal: AbortSignal): Promise<void> {
  const filter: RetryFilter = {
    since: flags.since === undefined ? undefined : parseSince(flags.since),
    kind: flags.kind,
    paths: paths.length ? paths.map((p) => path.resolve(p)) : undefined,
  };
  if (flags.list) return listFailures(filter, flags);
  return runWork({ ...flags, dryRun: false }, signal, {
    source: 'cli',
    intake: () => [],
    before: (session: Session) => {
      const queue = session.queue as StoreQueue;
      // Photos left queued or running by runs that are gone were taken over when this run started.
      const count = queue.requeue(filter) + queue.adopted.queued + queue.adopted.running;
      return count === 0 ? 'nothing to retry: no failed photos match' : `retrying ${count} photo${count === 1 ? '' : 's'}`;
    },
  });
}

async function listFailures(filter: RetryFilter, flags: RetryFlags & { config?: string }): Promise<void> {
  const { config } = await loadConfig({ configFile: flags.config, flags: flagsToConfig(flags) });
  const store = openStore(config, process.env, { readonly: true });
  try {
    const rows = store.reports.failures(filter);
    if (flags.json) {
      for (const row of rows)
        process.stdout.write(
          `${JSON.stringify({ file: row.path, errorKind: row.kind, error: row.error, attempts: row.attempts, failedAt: new Date(row.updatedAt).toISOString() })}\n`,
        );
      return;
    }
    for (const row of rows)
      process.stdout.write(
        `${new Date(row.updatedAt).toISOString().replace('T', ' ').slice(0, 19)}  ${row.kind ?? '?'}  ${escapeControls(row.path)}: ${escapeControls(row.error ?? '')}\n`,
      );
    process.stdout.write(`${rows.length} failed photo${rows.length === 1 ? '' : 's'}\n`);
  } finally {
    store.close();
  }
}
