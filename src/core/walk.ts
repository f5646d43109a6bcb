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
export const SKIPPED_FOLDERS = new Set([
  '@eaDir',
  '#recycle',
  '#snapshot',
  '$RECYCLE.BIN',
  'System Volume Information',
  'lost+found',
  'node_modules',
]);

/** Whether a name is never a photo to tag: hidden, a sidecar, a backup or a temp file. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('_original') || name.endsWith('_exiftool_tmp') || name.toLowerCase().endsWith('.xmp');
}

/** Pseudo file systems a photo walk never enters: /proc/<pid>/cwd and /proc/<pid>/root lead back to `/`. */
export const SYSTEM_FOLDERS = ['/proc', '/sys', '/dev'];

export interface WalkNotices {
  /** A link or folder the walk did not follow, and why (a line for the user). */
  onSkip?: (file: string, reason: string) => void;
}

interface Root {
  /** The folder as given (resolved): photos are reported under it. */
  base: string;
  /** Its real path: where links are checked against. */
  real: string;
}

/**
 * Every photo under `roots`, depth first, streamed (memory stays flat for any library size).
 *
 * The walk never leaves the roots: a link (to a folder or to a photo) is followed only when its real path is
 * inside one of the roots, and then under its own name in that root (so a photo is found once, by the name
 * the rest of phototag knows it by); a link that leads anywhere else is skipped and reported through
 * `onSkip`. /proc, /sys and /dev are never entered. Each real folder (device + inode) is entered once, so
 * link loops end.
 */
export async function* walkPhotos(roots: readonly string[], options: WalkOptions & WalkNotices = {}): AsyncGenerator<string> {
  const include = globMatcher(options.include);
  const exclude = globMatcher(options.exclude);
  const seen = new Set<string>();
  const resolved: Root[] = [];
  for (const root of roots) {
    const base = path.resolve(root);
    const real = await fs.realpath(base).catch(() => undefined);
    if (real) resolved.push({ base, real });
  }
  for (const root of resolved) {
    const stack: { dir: string; root: Root; depth: number }[] = [{ dir: root.real, root, depth: 0 }];
    while (stack.length > 0) {
      const { dir, root: owner, depth } = stack.pop()!;
      if (isSystemFolder(dir)) {
        options.onSkip?.(dir, 'a system folder (/proc, /sys, /dev) is never walked');
        continue;
      }
      const id = await folderId(dir);
      if (!id || seen.has(id)) continue;
      seen.add(id);
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        continue; // unreadable folder: nothing to tag there
      }
      const subfolders: { dir: string; root: Root }[] = [];
      for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(dir, entry.name);
        if (isIgnoredName(entry.name) || exclude?.(path.relative(owner.real, full))) continue;
        let real = full;
        let inRoot = owner;
        let kind: 'dir' | 'file' | undefined = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : undefined;
        if (entry.isSymbolicLink()) {
          const target = await linkTarget(full);
          if (!target) continue; // dangling link
          const home = rootOf(target.real, resolved);
          if (!home || isSystemFolder(target.real)) {
            if (target.kind === 'dir' || hasPhotoExtension(entry.name))
              options.onSkip?.(logicalPath(full, owner), `not followed: the link leads outside the folders given (to ${target.real})`);
            continue;
          }
          if (isIgnoredName(path.basename(target.real))) continue;
          ({ real, kind } = target);
          inRoot = home;
        }
        if (kind === 'dir') {
          if (
            !SKIPPED_FOLDERS.has(entry.name) &&
            !SKIPPED_FOLDERS.has(path.basename(real)) &&
            (options.maxDepth === undefined || depth < options.maxDepth)
          )
            subfolders.push({ dir: real, root: inRoot });
        } else if (kind === 'file' && hasPhotoExtension(real) && (!include || include(path.relative(inRoot.real, real)))) {
          yield logicalPath(real, inRoot);
        }
      }
      for (const folder of subfolders.reverse()) stack.push({ ...folder, depth: depth + 1 });
    }
  }
}

/** Whether `file`'s real path lies inside one of `roots` (given as the user named them): the watcher's check. */
export async function isInsideRoots(file: string, roots: readonly string[]): Promise<boolean> {
  const real = await fs.realpath(file).catch(() => undefined);
  if (!real || isSystemFolder(real)) return false;
  for (const root of roots) {
    const realRoot = await fs.realpath(root).catch(() => undefined);
    if (realRoot && isWithin(real, realRoot)) return true;
  }
  return false;
}

function isWithin(file: string, folder: string): boolean {
  return file === folder || file.startsWith(folder.endsWith(path.sep) ? folder : `${folder}${path.sep}`);
}

function isSystemFolder(real: string): boolean {
  return process.platform !== 'win32' && SYSTEM_FOLDERS.some((system) => isWithin(real, system));
}

function rootOf(real: string, roots: readonly Root[]): Root | undefined {
  return roots.find((root) => isWithin(real, root.real));
}

/** A real path inside a root, named as the user named the root. */
function logicalPath(real: string, root: Root): string {
  return path.join(root.base, path.relative(root.real, real));
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

async function linkTarget(file: string): Promise<{ kind: 'dir' | 'file'; real: string } | undefined> {
  try {
    const real = await fs.realpath(file);
    const stat = await fs.stat(real);
    return stat.isDirectory() ? { kind: 'dir', real } : stat.isFile() ? { kind: 'file', real } : undefined;
  } catch {
    return undefined; // dangling link
  }
}
