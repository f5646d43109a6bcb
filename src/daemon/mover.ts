import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';
import { sidecarPath } from '../core/sidecar.js';
import type { JobStore } from '../core/store.js';
import { photoId, type Logger } from './log.js';

export interface MoverOptions {
  /** Only photos under these folders are ever moved (never the Telegram inbox, never anything else). */
  watched: string[];
  processedDir?: string;
  failedDir?: string;
}

/**
 * The old system's processed/failed buckets: a finished photo from a watched folder moves there, keeping its
 * folder structure, with its sidecars. An existing file is never replaced: the newcomer gets a free name
 * (`IMG_0001 (2).jpg`, its sidecar `IMG_0001 (2).xmp`), and the database follows the photo to where it went.
 */
export class Mover {
  private readonly watched: string[];

  constructor(
    private readonly options: MoverOptions,
    private readonly jobs: JobStore,
    private readonly log: Logger,
  ) {
    this.watched = options.watched.map((dir) => path.resolve(dir));
  }

  /** Where it went, or undefined when it stays. Never throws: a failed move is logged and the photo stays. */
  move(file: string, status: 'done' | 'skipped' | 'failed'): string | undefined {
    const target = status === 'done' ? this.options.processedDir : status === 'failed' ? this.options.failedDir : undefined;
    const root = this.watched.find((r) => file.startsWith(`${r}${path.sep}`));
    if (!target || !root) return undefined;
    const wanted = path.join(path.resolve(target), path.relative(root, file));
    // Both names are looked for: `photo.xmp` and `photo.CR2.xmp` (a photo may have either, or both).
    const sidecars = (['base', 'ext'] as const)
      .map((naming) => ({ naming, path: sidecarPath(file, naming) }))
      .filter((s) => fs.existsSync(s.path));
    let destination: string | undefined;
    const moved: { from: string; to: string }[] = [];
    try {
      fs.mkdirSync(path.dirname(wanted), { recursive: true });
      destination = this.freeName(
        wanted,
        sidecars.map((s) => s.naming),
      );
      for (const sidecar of sidecars) {
        const to = sidecarPath(destination, sidecar.naming);
        moveWithoutReplacing(sidecar.path, to);
        moved.push({ from: sidecar.path, to });
      }
      moveWithoutReplacing(file, destination);
    } catch (error) {
      // Put the sidecars back beside the photo, which stays where it was.
      for (const { from, to } of moved.reverse()) {
        try {
          moveWithoutReplacing(to, from);
        } catch {
          this.log.error('could not put a sidecar back', { photo: photoId(file), sidecar: to, wanted: from });
        }
      }
      this.log.error('could not move the photo; it stays where it is', {
        photo: photoId(file),
        file,
        to: destination ?? wanted,
        error: errorMessage(error),
      });
      return undefined;
    }
    this.jobs.movePath(file, destination);
    if (destination !== wanted)
      this.log.info('photo moved under a new name: the name was taken', { photo: photoId(file), file, to: destination });
    else this.log.info('photo moved', { photo: photoId(file), file, to: destination });
    return destination;
  }

  /** `name.jpg`, else `name (2).jpg`, `name (3).jpg`…: free on disk for the photo and its sidecars, and in the database. */
  private freeName(wanted: string, sidecars: readonly ('base' | 'ext')[]): string {
    const ext = path.extname(wanted);
    const stem = wanted.slice(0, wanted.length - ext.length);
    for (let n = 1; n < 10_000; n++) {
      const candidate = n === 1 ? wanted : `${stem} (${n})${ext}`;
      const taken =
        fs.existsSync(candidate) ||
        sidecars.some((naming) => fs.existsSync(sidecarPath(candidate, naming))) ||
        this.jobs.idOf(candidate) !== undefined;
      if (!taken) return candidate;
    }
    throw new Error(`no free name for ${wanted}`);
  }
}

/**
 * Move a file where nothing is: a hard link fails if the name exists (no check-then-rename race); across
 * file systems, or where links are not supported, an exclusive copy then removing the original.
 */
function moveWithoutReplacing(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
    const stat = fs.statSync(from);
    fs.utimesSync(to, stat.atime, stat.mtime); // the copy keeps the photo's time, as a rename would
  }
  fs.unlinkSync(from);
}
