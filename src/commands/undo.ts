import path from 'node:path';
import { loadConfig } from '../core/config/load.js';
import { openStore } from '../core/data-dir.js';
import { ExitCode, UsageError } from '../core/errors.js';
import { escapeControls } from '../core/escape.js';
import { MetadataTool } from '../core/exiftool.js';
import type { WriteRow } from '../core/store.js';
import { undoWrite, type UndoOutcome } from '../core/undo.js';
import { commandExitCode } from './exit-code.js';
import { parseSince } from './since.js';

export interface UndoFlags {
  config?: string;
  dataDir?: string;
  run?: number;
  since?: string;
  force?: boolean;
  json?: boolean;
}

/**
 * `phototag undo <files…>`, `--run ID`, `--since DATE`: each photo's most recent write still in effect (or every
 * write of that run, or since that date, newest first) is put back. One line per photo; exit 1 if any failed.
 */
export async function runUndo(files: string[], flags: UndoFlags): Promise<void> {
  if (files.length === 0 && flags.run === undefined && flags.since === undefined)
    throw new UsageError('undo needs photos, --run <id> or --since <when> (phototag show <file> lists the writes)');
  const since = flags.since !== undefined ? parseSince(flags.since) : undefined;
  const { config } = await loadConfig({ configFile: flags.config, flags: { dataDir: flags.dataDir } });
  const store = openStore(config);
  const tool = new MetadataTool(1);
  const counts = { undone: 0, failed: 0, nothing: 0 };
  try {
    const named = files.map((file) => path.resolve(file));
    const work: (WriteRow | UndoOutcome)[] = [];
    if (flags.run !== undefined || since !== undefined) {
      const rows = store.writes.undoable({ runId: flags.run, since });
      const chosen = named.length ? rows.filter((row) => named.includes(row.path)) : rows;
      work.push(...chosen);
      if (chosen.length === 0)
        work.push({
          file: flags.run !== undefined ? `run ${flags.run}` : `since ${flags.since}`,
          status: 'nothing',
          reason: 'no write to undo',
        });
    } else {
      for (const file of named) {
        const latest = store.writes
          .history(file)
          .reverse()
          .find((row) => row.kind !== 'undo' && row.state !== 'undone');
        work.push(latest ?? { file, status: 'nothing', reason: nothingReason(store.writes.history(file)) });
      }
    }
    for (const item of work) {
      const outcome = 'status' in item ? item : await undoWrite(item, store, tool, { force: flags.force ?? false });
      counts[outcome.status]++;
      print(outcome, flags.json ?? false);
    }
  } finally {
    await tool.close();
    store.close();
  }
  if (!flags.json) process.stderr.write(`${counts.undone} undone, ${counts.failed} failed, ${counts.nothing} with nothing to undo\n`);
  commandExitCode.value = counts.failed > 0 ? ExitCode.failed : ExitCode.ok;
}

function nothingReason(history: WriteRow[]): string {
  if (history.length === 0) return 'nothing to undo: phototag has recorded no write to this photo';
  return 'nothing to undo: every write phototag made to this photo is undone already';
}

const HOW = { exact: 'put back byte for byte', fields: 'fields put back', removed: 'sidecar removed' } as const;

function print(outcome: UndoOutcome, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    return;
  }
  const name = escapeControls(outcome.file);
  if (outcome.status === 'undone')
    process.stdout.write(`↶ ${name}: write #${outcome.write} undone (${HOW[outcome.how]}: ${outcome.fields.join(', ')})\n`);
  else if (outcome.status === 'nothing') process.stdout.write(`- ${name}: ${outcome.reason}\n`);
  else process.stderr.write(`✗ ${name}: ${escapeControls(outcome.reason)}\n`);
}
