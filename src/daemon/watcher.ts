import fs from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import { hasPhotoExtension } from '../core/formats.js';
import { isIgnoredName, isInsideRoots, SKIPPED_FOLDERS, walkPhotos } from '../core/walk.js';
import type { Logger } from './log.js';

export interface WatchOptions {
  folders: string[];
  polling: boolean;
  pollIntervalSeconds: number;
  /** A file must keep its size this long before it is touched (slow copies, network shares). */
  stableSeconds: number;
  scanOnStart: boolean;
  rescanMinutes: number;
  /** Folders inside the watched ones that are phototag's own (processed, failed): not watched. */
  ownFolders: string[];
}

/** The chokidar adapter: it only finds photos and hands them on; the job queue does the rest. */
export class FolderWatcher {
  private watcher?: FSWatcher;
  private rescanTimer?: NodeJS.Timeout;
  private readonly pending = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** How the folders are watched now (polling after inotify ran out), and the last error chokidar reported. */
  private mode?: 'native' | 'polling';
  private lastError?: string;

  constructor(
    private readonly options: WatchOptions,
    private readonly found: (file: string) => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.watch(this.options.polling);
    if (this.options.scanOnStart) void this.scanAll('start');
    if (this.options.rescanMinutes > 0) {
      this.rescanTimer = setInterval(() => void this.scanAll('periodic rescan'), this.options.rescanMinutes * 60_000);
      this.rescanTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.rescanTimer);
    for (const timer of this.pending) clearTimeout(timer);
    await this.watcher?.close();
  }

  private ignored = (file: string): boolean => {
    const name = path.basename(file);
    if (this.options.ownFolders.some((own) => file === own || file.startsWith(`${own}${path.sep}`))) return true;
    return this.options.folders.every((root) => file !== root) && (isIgnoredName(name) || SKIPPED_FOLDERS.has(name));
  };

  private async watch(polling: boolean): Promise<void> {
    const { watch } = await import('chokidar');
    const watcher = watch(this.options.folders, {
      ignoreInitial: true,
      // Links are not followed (a link to / would watch the whole machine); offer() checks where a file link leads.
      followSymlinks: false,
      ignored: this.ignored,
      usePolling: polling,
      interval: this.options.pollIntervalSeconds * 1000,
      binaryInterval: this.options.pollIntervalSeconds * 1000,
      awaitWriteFinish: { stabilityThreshold: this.options.stableSeconds * 1000, pollInterval: 250 },
    });
    watcher.on('add', (file) => this.offer(file));
    watcher.on('change', (file) => this.offer(file));
    watcher.on('error', (error) => void this.failed(error as NodeJS.ErrnoException, polling));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    this.watcher = watcher;
    this.mode = polling ? 'polling' : 'native';
    this.log.info('watching folders', { folders: this.options.folders, polling });
  }

  /** Out of inotify watches: say how to raise the limit, and keep going by polling. */
  private async failed(error: NodeJS.ErrnoException, polling: boolean): Promise<void> {
    if (error.code === 'ENOSPC' && !polling && !this.stopped) {
      this.log.warn(
        'the system ran out of inotify watches; falling back to polling. To watch natively, raise the limit: sudo sysctl fs.inotify.max_user_watches=524288 (and add it to /etc/sysctl.d/ to keep it)',
      );
      await this.watcher?.close();
      await this.watch(true);
      return;
    }
    this.lastError = error.code ?? error.message;
    this.log.error('watcher error', { error: error.message });
  }

  /** For the dashboard: each folder's state (a folder unmounted or deleted since the start is not being watched). */
  health(): { folder: string; ok: boolean; detail: string }[] {
    return this.options.folders.map((folder) => {
      if (!this.mode || this.stopped) return { folder, ok: false, detail: 'not watching' };
      let isDir = false;
      try {
        isDir = statSync(folder).isDirectory();
      } catch {
        // gone or unreadable: reported below
      }
      if (!isDir) return { folder, ok: false, detail: 'the folder is missing or unreadable' };
      const how = this.mode === 'polling' ? `polling every ${this.options.pollIntervalSeconds} s` : 'watching';
      return { folder, ok: true, detail: this.lastError ? `${how} (last error: ${this.lastError})` : how };
    });
  }

  private offer(file: string): void {
    if (this.stopped || !hasPhotoExtension(file)) return;
    // Never outside the watched folders: a link inside them to a photo elsewhere is not ours to write.
    void isInsideRoots(file, this.options.folders).then((inside) => {
      if (inside && !this.stopped) this.found(path.resolve(file));
      else if (!inside)
        this.log.warn('not tagged: its real path is not inside the watched folders (a link leading elsewhere, or gone)', { file });
    });
  }

  /** Photos already there: found by walking. One still being copied (younger than the threshold) waits until it stops growing. */
  private async scanAll(why: string): Promise<void> {
    let count = 0;
    for await (const file of walkPhotos(this.options.folders, { exclude: [], onSkip: (file, reason) => this.log.warn(reason, { file }) })) {
      if (this.stopped) return;
      if (this.options.ownFolders.some((own) => file.startsWith(`${own}${path.sep}`))) continue;
      count++;
      void this.whenStable(file);
    }
    this.log.info('folders scanned', { why, photos: count });
  }

  private async whenStable(file: string, previous?: { size: number; mtimeMs: number }): Promise<void> {
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat || this.stopped) return;
    const young = Date.now() - stat.mtimeMs < this.options.stableSeconds * 1000;
    const changed = previous && (previous.size !== stat.size || previous.mtimeMs !== stat.mtimeMs);
    if (!young && !changed) return this.offer(file);
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      void this.whenStable(file, { size: stat.size, mtimeMs: stat.mtimeMs });
    }, this.options.stableSeconds * 1000);
    this.pending.add(timer);
  }
}
