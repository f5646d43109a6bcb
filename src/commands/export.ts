import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../core/config/load.js';
import { exportCsv, type ExportFormat } from '../core/export.js';
import { openStore } from '../core/data-dir.js';
import { parseSince } from './since.js';
import { escapeControls } from '../core/escape.js';

export async function runExport(
  files: string[],
  flags: { config?: string; dataDir?: string; format: ExportFormat; since?: string; out?: string },
): Promise<void> {
  const { config } = await loadConfig({ configFile: flags.config, flags: { dataDir: flags.dataDir } });
  const store = openStore(config, process.env, { readonly: true });
  let rows;
  try {
    rows = store.reports.exportRows({
      since: flags.since ? parseSince(flags.since) : undefined,
      paths: files.length ? files.map((f) => path.resolve(f)) : undefined,
    });
  } finally {
    store.close();
  }
  const { csv, skipped } = exportCsv(rows, flags.format);
  if (flags.out) fs.writeFileSync(flags.out, csv);
  else process.stdout.write(csv);
  for (const { file, reason } of skipped)
    process.stderr.write(`phototag: ${escapeControls(file)}: left out of the ${flags.format} CSV: ${reason}\n`);
  process.stderr.write(
    `phototag: ${rows.length - skipped.length} photo${rows.length - skipped.length === 1 ? '' : 's'} exported${flags.out ? ` to ${flags.out}` : ''}\n`,
  );
}
