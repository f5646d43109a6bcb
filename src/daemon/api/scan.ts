import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { EnqueueResult, QueueItem } from '../../core/store.js';
import { walkPhotos } from '../../core/walk.js';
import type { Logger } from '../log.js';
import { HttpError, readJson, sendJson } from './respond.js';
import type { ApiRoute } from './routes.js';

export interface ScanDeps {
  /** The watched folders (serve.watch), resolved. */
  watched: string[];
  /** phototag's own folders inside them (processed, failed): never scanned. */
  ownFolders: string[];
  /** Put these photos on the queue as a scan found them; returns each one's result and job id. */
  enqueue: (items: QueueItem[]) => { result: EnqueueResult; id?: number }[];
  log: Logger;
}

const scanBody = z
  .object({
    /** A watched folder or a folder under one: absolute, or relative to the watched folder it is in. Absent: all of them. */
    path: z
      .string()
      .min(1)
      .max(4096)
      .refine((p) => !p.includes('\0'), 'must not contain NUL')
      .optional(),
  })
  .strict();

const BATCH = 256;
const LISTED = 1000;

/** `POST /api/scan`: look through a watched folder (or one under it) now and queue what is new or changed. */
export function scanRoutes(deps: ScanDeps): ApiRoute[] {
  return [
    {
      method: 'POST',
      path: '/api/scan',
      changesState: true,
      handle: async ({ req, res }) => {
        const body = await readJson(req, scanBody, 64 * 1024);
        if (deps.watched.length === 0) throw new HttpError(409, 'no folder is watched (serve.watch or --watch): nothing to scan');
        const folder = body.path === undefined ? undefined : await resolveInside(body.path, deps.watched);
        const roots = folder ? [folder] : deps.watched;
        const counts: Record<EnqueueResult, number> = { queued: 0, unchanged: 0, busy: 0, 'failed-before': 0, pending: 0 };
        const queued: { id: number; path: string }[] = [];
        let found = 0;
        let batch: QueueItem[] = [];
        const flush = () => {
          deps.enqueue(batch).forEach(({ result, id }, i) => {
            counts[result]++;
            if ((result === 'queued' || result === 'pending') && id !== undefined && queued.length < LISTED)
              queued.push({ id, path: batch[i]!.path });
          });
          batch = [];
        };
        const own = deps.ownFolders;
        for await (const file of walkPhotos(roots, { onSkip: (file, reason) => deps.log.warn(reason, { file }) })) {
          if (own.some((dir) => file === dir || file.startsWith(`${dir}${path.sep}`))) continue;
          const stat = await fs.stat(file).catch(() => undefined);
          if (!stat?.isFile()) continue; // gone since the walk saw it
          found++;
          batch.push({ path: file, size: stat.size, mtimeMs: stat.mtimeMs, request: { source: 'scan' } });
          if (batch.length >= BATCH) flush();
        }
        if (batch.length) flush();
        deps.log.info('scan requested over http', { folders: roots, found, queued: counts.queued });
        sendJson(res, 200, {
          folders: roots,
          found,
          queued: counts.queued,
          alreadyQueued: counts.pending + counts.busy,
          unchanged: counts.unchanged,
          failedBefore: counts['failed-before'],
          photos: queued,
        });
      },
    },
  ];
}

/**
 * The folder a request names, if it is a watched folder or inside one, by its real path (so `..`, links and
 * absolute paths elsewhere are refused: 403); a path that is not there is a 404, a file a 400. A relative path
 * is taken from the watched folder it exists in.
 */
export async function resolveInside(requested: string, watched: readonly string[]): Promise<string> {
  let candidates = path.isAbsolute(requested) ? [path.resolve(requested)] : watched.map((dir) => path.resolve(dir, requested));
  if (candidates.length > 1) {
    const existing = [];
    for (const candidate of candidates) if (await fs.stat(candidate).catch(() => undefined)) existing.push(candidate);
    if (existing.length > 1)
      throw new HttpError(400, `"${requested}" is in more than one watched folder: give it as an absolute path`, { candidates: existing });
    candidates = existing.length ? existing : candidates.slice(0, 1);
  }
  const candidate = candidates[0]!;
  const roots = await Promise.all(watched.map((dir) => fs.realpath(dir).catch(() => undefined)));
  const lexicallyInside = watched.some((dir) => isWithin(candidate, path.resolve(dir)));
  const real = await fs.realpath(candidate).catch(() => undefined);
  if (!real) {
    // Outside is refused before saying whether it exists: the API does not tell what is on the disk elsewhere.
    if (!lexicallyInside) throw outside(requested);
    throw new HttpError(404, `"${requested}" does not exist in the watched folders`);
  }
  if (!lexicallyInside || !roots.some((root) => root !== undefined && isWithin(real, root))) throw outside(requested);
  if (!(await fs.stat(real)).isDirectory()) throw new HttpError(400, `"${requested}" is not a folder`);
  return candidate;
}

function outside(requested: string): HttpError {
  return new HttpError(403, `"${requested}" is not inside a watched folder (serve.watch)`);
}

function isWithin(file: string, folder: string): boolean {
  return file === folder || file.startsWith(folder.endsWith(path.sep) ? folder : `${folder}${path.sep}`);
}
