import fs from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { hasPhotoExtension } from './formats.js';

export interface WalkOptions {
  /** Globs a photo's path (relative to the folder given) must match; none = every photo. */
  include?: string[];
  /** Globs of files and folders to leave out. */
  exclude?: string[];
  /** How many folder levels below each root to enter; undefined = all. */
  maxDepth?: number;
}

/** Folders no photo tool should walk into: NAS thumbnails and recycle bins, OS bookkeeping. */
export const SKIPPED_FOLDERS = new Set(['@eaDir', '#recycle', '#snapshot', '$RECYCLE.BIN', 'System Volume Information', 'lost+found', 'node_modules']);

/** Whether a name is never a photo to tag: hidden, a sidecar, a backup or a temp file. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('_original') || name.endsWith('_exiftool_tmp') || name.toLowerCase().endsWith('.xmp');
}

/**
 * Every photo under `roots`, depth first, streamed (memory stays flat for any library size). Symlinks are
 * followed; a folder already seen (by device and inode) is not entered again, so link loops end.
 */
export async function* walkPhotos(roots: readonly string[], options: WalkOptions = {}): AsyncGenerator<string> {
  const include = globMatcher(options.include);
  const exclude = globMatcher(options.exclude);
  const seen = new Set<string>();
  for (const root of roots) {
    const base = path.resolve(root);
    const stack: { dir: string; depth: number }[] = [{ dir: base, depth: 0 }];
    while (stack.length > 0) {
      const { dir, depth } = stack.pop()!;
      const id = await folderId(dir);
      if (!id || seen.has(id)) continue;
      seen.add(id);
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        continue; // unreadable folder: nothing to tag there
      }
      const subfolders: string[] = [];
      for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, entry.name);
        const relative = path.relative(base, full);
        if (isIgnoredName(entry.name) || exclude?.(relative)) continue;
        const kind = entry.isSymbolicLink() ? await linkTarget(full) : entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : undefined;
        if (kind === 'dir') {
          if (!SKIPPED_FOLDERS.has(entry.name) && (options.maxDepth === undefined || depth < options.maxDepth)) subfolders.push(full);
        } else if (kind === 'file' && hasPhotoExtension(entry.name) && (!include || include(relative))) {
          yield full;
        }
      }
      for (const folder of subfolders.reverse()) stack.push({ dir: folder, depth: depth + 1 });
    }
  }
}

/**
 * A glob with a slash matches the path relative to the folder given; one without matches any file or folder
 * name (`*.jpg`, `trip`), like .gitignore.
 */
function globMatcher(patterns: string[] | undefined): ((relative: string) => boolean) | undefined {
  if (!patterns?.length) return undefined;
  const withSlash = patterns.filter((p) => p.includes('/'));
  const names = patterns.filter((p) => !p.includes('/'));
  const byPath = withSlash.length ? picomatch(withSlash, { dot: true }) : undefined;
  const byName = names.length ? picomatch(names, { dot: true }) : undefined;
  return (relative) => Boolean(byPath?.(relative) || byName?.(path.basename(relative)));
}

async function folderId(dir: string): Promise<string | undefined> {
  try {
    const stat = await fs.stat(dir);
    return stat.isDirectory() ? `${stat.dev}:${stat.ino}` : undefined;
  } catch {
    return undefined;
  }
}

async function linkTarget(file: string): Promise<'dir' | 'file' | undefined> {
  try {
    const stat = await fs.stat(file);
    return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : undefined;
  } catch {
    return undefined; // dangling link
  }
}
