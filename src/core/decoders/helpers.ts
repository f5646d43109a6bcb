import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * The decoder processes phototag runs in sessions of their own (a terminal's Ctrl-C must not kill the decode of a
 * photo that is to finish) and their temp folders. Being in another session, they outlive an exit at once (a
 * second Ctrl-C, the daemon's shutdown bound): a native decoder then wrote its full-size JPEG of the user's
 * photo into a temp folder nobody removed, and a WebAssembly one went on decoding for nothing. Ended here, on
 * the way out ('exit' runs only synchronous code: a signal and a synchronous removal).
 */
const children = new Set<ChildProcess>();
const folders = new Set<string>();
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', endHelpers);
}

/** A decoder process in its own session: killed if phototag exits while it runs. Returns its release. */
export function trackHelper(child: ChildProcess): () => void {
  hook();
  children.add(child);
  return () => children.delete(child);
}

/** A temp folder of a decode in progress: removed if phototag exits before the decode's own cleanup. Returns its release. */
export function trackTempFolder(folder: string): () => void {
  hook();
  folders.add(folder);
  return () => folders.delete(folder);
}

/** Kill the decoders first, so none writes into a folder after it is removed. */
export function endHelpers(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
}
