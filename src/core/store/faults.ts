import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, FatalError } from '../errors.js';

/** The database this process opened last: named in a fault met later in the run. */
let lastOpened: string | undefined;

export function rememberDatabase(file: string): void {
  lastOpened = file;
}

/**
 * A database or data-folder fault as one line saying what happened and what to do (exit 1), or undefined if
 * `error` is not one: SQLite's codes (better-sqlite3's `SqliteError.code`) anywhere, the file system's errno
 * codes while `opening` that database (creating its folder).
 */
export function databaseFault(error: unknown, opening?: string): FatalError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  // An errno code is the database's only while opening it (creating the data folder); later it may be anyone's.
  if (!code.startsWith('SQLITE_') && !opening) return undefined;
  const file = opening ?? lastOpened;
  const db = file ?? 'the database';
  const dir = file ? path.dirname(file) : 'the data folder';
  const detail = errorMessage(error).split('\n')[0] ?? '';
  const say = (text: string) => new FatalError(text);
  if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_') || code === 'SQLITE_NOTADB') {
    return say(
      `the database ${db} is damaged (${detail}). Restore the latest backup (\`phototag backup list\`, then \`phototag backup restore FILE\`), or move the file aside to start with an empty database`,
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return say(`the disk holding the database ${db} is full. Free some space and run phototag again (photos not done yet stay queued)`);
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_LOCKED_')) {
    return say(
      `the database ${db} is locked by another program (waited 10 s). Close whatever holds it (an sqlite3 shell, a sync or backup tool) and run again`,
    );
  }
  const cannotWrite = code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM';
  if (code === 'EROFS' || (cannotWrite && file && folderProblem(path.dirname(file)) === 'EROFS')) {
    return say(
      `cannot write the database ${db}: the file system is read-only. Mount it read-write, or point --data-dir (PHOTOTAG_DATA_DIR) elsewhere`,
    );
  }
  if (cannotWrite || code === 'SQLITE_AUTH' || ['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR'].includes(code)) {
    return say(
      `cannot open or write the database ${db} (${detail}). Fix the permissions of ${dir} and the files in it (they must be writable by this user), or point --data-dir (PHOTOTAG_DATA_DIR) elsewhere`,
    );
  }
  if (code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_') || code === 'EIO') {
    return say(
      `input/output error on the database ${db} (${detail}): the disk may be full or failing. Check it, then restore the latest backup if the database is damaged`,
    );
  }
  return undefined;
}

/** Why a folder cannot be written (EROFS: a read-only file system), if it cannot. */
function folderProblem(dir: string): string | undefined {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
}
