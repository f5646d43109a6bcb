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
import { FAILURE_KINDS, PERMANENT_KINDS, UsageError } from '../core/errors.js';

export interface RetryFlags extends TagFlags {
  since?: string;
  kind?: string;
  all?: boolean;
  list?: boolean;
}

export async function runRetry(paths: string[], flags: RetryFlags & { config?: string }, signal: AbortSignal): Promise<void> {
  if (flags.kind !== undefined && !(FAILURE_KINDS as readonly string[]).includes(flags.kind))
    throw new UsageError(`--kind takes one of ${FAILURE_KINDS.join(', ')}; got "${escapeControls(flags.kind)}" (string)`);
  const filter: RetryFilter = {
    since: flags.since === undefined ? undefined : parseSince(flags.since),
    kind: flags.kind,
    paths: paths.length ? paths.map((p) => path.resolve(p)) : undefined,
  };
  if (flags.list) return listFailures(filter, flags);
  // Without a kind, named photos or --all, failures that trying again cannot fix (a corrupt file) stay failed.
  const chosen = flags.all || flags.kind !== undefined || filter.paths !== undefined;
  return runWork({ ...flags, dryRun: false }, signal, {
    source: 'cli',
    intake: () => [],
    before: (session: Session) => {
      const queue = session.queue as StoreQueue;
      // Photos left queued or running by runs that are gone were taken over when this run started.
      const count =
        queue.requeue(chosen ? filter : { ...filter, exceptKinds: PERMANENT_KINDS }) + queue.adopted.queued + queue.adopted.running;
      // What is still failed now is what was left alone: say so, with its kinds, rather than "nothing to retry".
      const left = chosen ? [] : session.store.reports.failures(filter);
      const kinds = [...new Set(left.map((row) => row.kind ?? '?'))].join(', ');
      const leftNote = left.length
        ? `${count ? '; ' : ': '}${left.length} permanent failure${left.length === 1 ? '' : 's'} (${kinds}) left alone, \`phototag retry --all\` tries them too`
        : '';
      return count === 0
        ? `nothing to retry${left.length ? '' : ': no failed photos match'}${leftNote}`
        : `retrying ${count} photo${count === 1 ? '' : 's'}${leftNote}`;
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
