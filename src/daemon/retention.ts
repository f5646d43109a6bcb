import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../core/store.js';
import type { Logger } from './log.js';

/**
 * Files directly in `dir` older than `days` go, unless their photo is still waiting (queued or running). The
 * uploads folder follows Telegram's retention setting (telegram.retentionDays); 0 keeps everything.
 */
export async function pruneOld(dir: string, days: number, store: Store, log: Logger): Promise<number> {
  if (days <= 0) return 0;
  const before = Date.now() - days * 86_400_000;
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    const stat = await fs.promises.lstat(file).catch(() => undefined);
    if (!stat?.isFile() || stat.mtimeMs >= before) continue;
    const id = store.jobs.idOf(file);
    const job = id === undefined ? undefined : store.jobs.job(id);
    if (job && (job.status === 'queued' || job.status === 'running')) continue;
    await fs.promises.rm(file, { force: true });
    removed++;
  }
  if (removed) log.info('old uploads removed', { files: removed, olderThanDays: days });
  return removed;
}
