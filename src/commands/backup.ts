import path from 'node:path';
import fs from 'node:fs';
import { createBackup, listBackups, pruneBackups, restoreBackup, verifyBackup } from '../core/backup.js';
import { loadConfig } from '../core/config/load.js';
import { dataDirOf } from '../core/data-dir.js';

export interface BackupFlags {
  config?: string;
  dataDir?: string;
  dir?: string;
  quiet?: boolean;
  json?: boolean;
  force?: boolean;
  keepDays?: number;
  keep?: number;
}

async function context(flags: BackupFlags) {
  const { config } = await loadConfig({ configFile: flags.config, flags: { dataDir: flags.dataDir } });
  const dataDir = dataDirOf(config);
  return { config, dataDir, dir: path.resolve(flags.dir ?? dataDir) };
}

/** Success lines go to stdout unless --quiet; failures are thrown and printed as one line by the CLI. */
function say(flags: BackupFlags, line: string): void {
  if (!flags.quiet) process.stdout.write(`${line}\n`);
}

export async function runBackupCreate(flags: BackupFlags): Promise<void> {
  const { config, dataDir, dir } = await context(flags);
  const version = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version as string;
  const { file, manifest } = await createBackup({ dataDir, dir, config: { ...config }, version });
  say(
    flags,
    `${file} (${(fs.statSync(file).size / 1024).toFixed(0)} KB, ${manifest.rowCounts.photos ?? 0} photos, schema ${manifest.schemaVersion})`,
  );
}

export async function runBackupList(flags: BackupFlags): Promise<void> {
  const { dir } = await context(flags);
  const backups = listBackups(dir);
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        backups.map((b) => ({ file: b.file, bytes: b.bytes, createdAt: b.createdAt.toISOString() })),
        null,
        2,
      )}\n`,
    );
    return;
  }
  for (const b of backups) say(flags, `${b.createdAt.toLocaleString()}  ${(b.bytes / 1024).toFixed(0).padStart(8)} KB  ${b.file}`);
  say(flags, `${backups.length} backup${backups.length === 1 ? '' : 's'} in ${dir}`);
}

export async function runBackupVerify(file: string, flags: BackupFlags): Promise<void> {
  const { manifest, dir } = await verifyBackup(path.resolve(file));
  fs.rmSync(dir, { recursive: true, force: true });
  say(
    flags,
    `${file}: OK (phototag ${manifest.phototag}, schema ${manifest.schemaVersion}, ${manifest.rowCounts.photos ?? 0} photos, made ${manifest.createdAt})`,
  );
}

export async function runBackupRestore(file: string, flags: BackupFlags): Promise<void> {
  const { dataDir } = await context(flags);
  const { manifest, restorePoint } = await restoreBackup(path.resolve(file), { dataDir, force: flags.force ?? false });
  say(
    flags,
    `restored ${file} (${manifest.rowCounts.photos ?? 0} photos, made ${manifest.createdAt}) into ${dataDir}${restorePoint ? `; the previous database is kept as ${restorePoint}` : ''}`,
  );
}

export async function runBackupPrune(flags: BackupFlags): Promise<void> {
  const { dir } = await context(flags);
  const removed = pruneBackups(dir, { keepDays: flags.keepDays ?? 7, keep: flags.keep ?? 1 });
  for (const file of removed) say(flags, `removed ${file}`);
  say(flags, `${removed.length} old backup${removed.length === 1 ? '' : 's'} removed from ${dir}`);
}
