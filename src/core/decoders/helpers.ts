import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
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

/**
 * Start a decoder process in a session of its own, tracked while it runs, what it says on stdout and stderr
 * gathered in `said`, killed after `timeoutMs`. `exited` resolves with its exit code (null: it was killed).
 */
export function runHelper(
  command: string,
  args: readonly string[],
  stdio: StdioOptions,
  timeoutMs: number,
): { child: ChildProcess; said: string[]; exited: Promise<number | null> } {
  // Its own session: a Ctrl-C at the terminal must not kill the decode of a photo that is to finish.
  const child = spawn(command, args, { stdio, windowsHide: true, detached: true });
  const untrack = trackHelper(child);
  const said: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => said.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => said.push(chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  }).finally(() => {
    clearTimeout(timer);
    untrack();
  });
  return { child, said, exited };
}

/** A decoder process in its own session: killed if phototag exits while it runs. Returns its release. */
function trackHelper(child: ChildProcess): () => void {
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
