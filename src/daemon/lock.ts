import fs from 'node:fs';
import path from 'node:path';
import { SERVE_LOCK } from '../core/backup.js';
import { FatalError } from '../core/errors.js';
import { currentProcess, isAlive, type ProcessIdentity } from '../core/process-identity.js';

/** One `phototag serve` per data dir: the lock names the running process; a stale one (process gone) is taken over. */
export function acquireServeLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, SERVE_LOCK);
  const me = currentProcess();
  for (let tries = 0; tries < 2; tries++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      return () => {
        try {
          const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as ProcessIdentity;
          if (owner.pid === me.pid && owner.host === me.host) fs.rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner: ProcessIdentity | undefined;
      try {
        owner = JSON.parse(fs.readFileSync(file, 'utf8')) as ProcessIdentity;
      } catch {
        owner = undefined;
      }
      if (owner && isAlive(owner)) {
        throw new FatalError(
          `phototag serve is already running on ${dataDir} (pid ${owner.pid} on ${owner.host}); stop it first, or give this one another --data-dir`,
        );
      }
      fs.rmSync(file, { force: true }); // left by a process that is gone
    }
  }
  throw new FatalError(`Cannot take the lock ${file}`);
}
