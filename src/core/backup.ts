import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import { withoutSecrets } from './config/secrets.js';
import { FatalError } from './errors.js';
import { hashFile } from './hash.js';
import { isAlive, type ProcessIdentity } from './process-identity.js';
import { MIGRATIONS, SCHEMA_VERSION, Store } from './store.js';

/** Archives phototag made: `phototag-YYYYMMDD-HHMMSS.tar.gz` (prune touches nothing else). */
const ARCHIVE = /^phototag-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:-\d+)?\.tar\.gz$/u;
const MEMBERS = ['manifest.json', 'phototag.db', 'config.json'] as const;
const DB_FILE = 'phototag.db';
/** The daemon writes its identity here while it runs; restore refuses to pull the database from under it. */
export const SERVE_LOCK = 'serve.lock';

export interface Manifest {
  phototag: string;
  createdAt: string;
  schemaVersion: number;
  rowCounts: Record<string, number>;
  sha256: Record<string, string>;
}

export interface BackupInfo {
  file: string;
  bytes: number;
  createdAt: Date;
}

export class BackupError extends FatalError {}

/**
 * Write `phototag-YYYYMMDD-HHMMSS.tar.gz` into `dir`: a consistent copy of the database taken with SQLite's
 * online backup API (other processes keep writing), the config with every secret removed, and a manifest.
 */
export async function createBackup(options: {
  dataDir: string;
  dir: string;
  config: Record<string, unknown>;
  version: string;
  now?: Date;
}): Promise<{ file: string; manifest: Manifest }> {
  const source = path.join(options.dataDir, DB_FILE);
  if (!fs.existsSync(source)) throw new BackupError(`No database to back up in ${options.dataDir} (nothing has been tagged there yet)`);
  fs.mkdirSync(options.dir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'phototag-backup-'));
  try {
    const live = new Database(source, { readonly: true, fileMustExist: true, timeout: 10_000 });
    try {
      await live.backup(path.join(work, DB_FILE));
    } finally {
      live.close();
    }
    fs.writeFileSync(path.join(work, 'config.json'), `${JSON.stringify(withoutSecrets(options.config), null, 2)}\n`);
    const copy = new Database(path.join(work, DB_FILE), { readonly: true });
    const manifest: Manifest = {
      phototag: options.version,
      createdAt: (options.now ?? new Date()).toISOString(),
      schemaVersion: copy.pragma('user_version', { simple: true }) as number,
      rowCounts: rowCounts(copy),
      sha256: { [DB_FILE]: await hashFile(path.join(work, DB_FILE)), 'config.json': await hashFile(path.join(work, 'config.json')) },
    };
    copy.close();
    fs.writeFileSync(path.join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const file = freeName(options.dir, options.now ?? new Date());
    const partial = path.join(options.dir, `.${path.basename(file)}.partial`);
    await tar.c({ gzip: true, file: partial, cwd: work, portable: true }, [...MEMBERS]);
    fs.renameSync(partial, file);
    return { file, manifest };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Check an archive: it unpacks, every member's SHA-256 matches the manifest, and SQLite finds the database intact. */
export async function verifyBackup(file: string): Promise<{ manifest: Manifest; dir: string }> {
  if (!fs.existsSync(file)) throw new BackupError(`${file}: no such file`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phototag-verify-'));
  try {
    try {
      await tar.x({ file, cwd: dir, strict: true, filter: (p) => (MEMBERS as readonly string[]).includes(p) });
    } catch (error) {
      throw new BackupError(`${file}: damaged or not a phototag backup (${(error as Error).message})`);
    }
    let manifest: Manifest;
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    } catch {
      throw new BackupError(`${file}: not a phototag backup (no readable manifest.json)`);
    }
    for (const [member, expected] of Object.entries(manifest.sha256 ?? {})) {
      const target = path.join(dir, member);
      if (!fs.existsSync(target)) throw new BackupError(`${file}: damaged (${member} is missing)`);
      if ((await hashFile(target)) !== expected) throw new BackupError(`${file}: damaged (${member} does not match its checksum)`);
    }
    if (!manifest.sha256?.[DB_FILE]) throw new BackupError(`${file}: not a phototag backup (no database in the manifest)`);
    const db = new Database(path.join(dir, DB_FILE), { readonly: true });
    try {
      const result = db.pragma('integrity_check', { simple: true });
      if (result !== 'ok') throw new BackupError(`${file}: the database fails SQLite's integrity check (${String(result)})`);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION)
        throw new BackupError(
          `${file}: made by a newer phototag (schema ${version}, this one knows ${SCHEMA_VERSION}); upgrade phototag first`,
        );
      const stranger = foreignSchema(db, version);
      if (stranger)
        throw new BackupError(
          `${file}: refused: its database holds ${stranger}, which phototag does not create (only phototag's own tables and indexes are restored)`,
        );
    } finally {
      db.close();
    }
    if (manifest.schemaVersion > SCHEMA_VERSION)
      throw new BackupError(
        `${file}: made by a newer phototag (schema ${manifest.schemaVersion}, this one knows ${SCHEMA_VERSION}); upgrade phototag first`,
      );
    return { manifest, dir };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Restore an archive into `dataDir`: verify it first, keep a restore point of the current database, refuse
 * while `phototag serve` runs on that data dir (unless `force`), then migrate an older schema.
 */
export async function restoreBackup(
  file: string,
  options: { dataDir: string; force: boolean; now?: Date },
): Promise<{ manifest: Manifest; restorePoint?: string }> {
  const { manifest, dir } = await verifyBackup(file);
  try {
    const server = runningServer(options.dataDir);
    if (server && !options.force) {
      throw new BackupError(`phototag serve (pid ${server.pid}) is running on ${options.dataDir}; stop it first, or use --force`);
    }
    fs.mkdirSync(options.dataDir, { recursive: true });
    const target = path.join(options.dataDir, DB_FILE);
    let restorePoint: string | undefined;
    if (fs.existsSync(target)) {
      restorePoint = path.join(options.dataDir, `phototag.db.before-restore-${stamp(options.now ?? new Date())}`);
      const current = new Database(target, { readonly: true, timeout: 10_000 });
      try {
        await current.backup(restorePoint);
      } finally {
        current.close();
      }
    }
    const incoming = path.join(options.dataDir, `.${DB_FILE}.restoring`);
    fs.copyFileSync(path.join(dir, DB_FILE), incoming);
    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${target}${suffix}`, { force: true });
    fs.renameSync(incoming, target);
    Store.inDataDir(options.dataDir).close(); // migrates an older schema now, not on the next run
    return { manifest, restorePoint };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function listBackups(dir: string): BackupInfo[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((name) => ({ name, date: archiveDate(name) }))
    .filter((entry): entry is { name: string; date: Date } => entry.date !== undefined)
    .map(({ name, date }) => ({ file: path.join(dir, name), bytes: fs.statSync(path.join(dir, name)).size, createdAt: date }))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.file.localeCompare(a.file));
}

/** Delete phototag's own archives older than `keepDays`, always keeping the newest `keep`. Nothing else is touched. */
export function pruneBackups(dir: string, options: { keepDays: number; keep: number; now?: Date }): string[] {
  const cutoff = (options.now ?? new Date()).getTime() - options.keepDays * 86_400_000;
  const removed: string[] = [];
  listBackups(dir).forEach((backup, index) => {
    if (index < options.keep || backup.createdAt.getTime() >= cutoff) return;
    fs.rmSync(backup.file);
    removed.push(backup.file);
  });
  return removed;
}

/** The daemon running on this data dir, if any (its lock file names a live process). */
export function runningServer(dataDir: string): ProcessIdentity | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(path.join(dataDir, SERVE_LOCK), 'utf8')) as ProcessIdentity;
    return isAlive(owner) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What in the archive's schema phototag's own migrations (up to its `user_version`) would not have made: a
 * trigger, a view, an extra table or index, or a table of ours with a different definition. A restored database
 * is run by phototag as it is, so anything else (a trigger that rewrites every title) must not get in.
 */
function foreignSchema(db: Database.Database, version: number): string | undefined {
  const reference = new Database(':memory:');
  try {
    for (const migration of MIGRATIONS.slice(0, version)) reference.exec(migration);
    const expected = new Map(schemaOf(reference).map((item) => [`${item.type} ${item.name}`, item.sql]));
    for (const item of schemaOf(db)) {
      const known = expected.get(`${item.type} ${item.name}`);
      if (known === undefined) return `a ${item.type} "${item.name}"`;
      if (known !== item.sql) return `a ${item.type} "${item.name}" defined differently`;
    }
    return undefined;
  } finally {
    reference.close();
  }
}

function schemaOf(db: Database.Database): { type: string; name: string; sql: string }[] {
  const rows = db
    .prepare(`SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex_%' ORDER BY type, name`)
    .all() as { type: string; name: string; sql: string | null }[];
  return rows.map((row) => ({ type: row.type, name: row.name, sql: (row.sql ?? '').replace(/\s+/gu, ' ').trim() }));
}

function rowCounts(db: Database.Database): Record<string, number> {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as {
    name: string;
  }[];
  return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n]));
}

function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

function freeName(dir: string, date: Date): string {
  const base = `phototag-${stamp(date)}`;
  let file = path.join(dir, `${base}.tar.gz`);
  for (let n = 1; fs.existsSync(file); n++) file = path.join(dir, `${base}-${n}.tar.gz`);
  return file;
}

function archiveDate(name: string): Date | undefined {
  const m = ARCHIVE.exec(name);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}
