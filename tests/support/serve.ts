import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './corpus.js';

export interface Served {
  child: ChildProcess;
  url: string;
  /** Every JSON log line so far. */
  logs: () => Record<string, unknown>[];
  waitFor: (predicate: (logs: Record<string, unknown>[]) => boolean, timeoutMs?: number) => Promise<void>;
  exit: Promise<{ code: number | null; stderr: string }>;
}

/** Start the built CLI's `phototag serve` and wait until it says it is ready. */
export async function startServe(args: string[], env: Record<string, string>, options: { cwd?: string } = {}): Promise<Served> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/phototag.js'), 'serve', '--port', '0', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd: options.cwd,
  });
  let out = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  const logs = () =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const waitFor = async (predicate: (l: Record<string, unknown>[]) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(logs())) {
      if (child.exitCode !== null) throw new Error(`phototag serve exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting; logs: ${out.slice(-2000)} ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const started = await Promise.race([
    waitFor((l) => l.some((e) => e.msg === 'phototag serve ready')).then(() => true),
    exit.then(() => false),
  ]);
  if (!started) return { child, url: '', logs, waitFor, exit };
  const url = String(logs().find((e) => e.msg === 'http endpoint listening')!.url);
  return { child, url, logs, waitFor, exit };
}
