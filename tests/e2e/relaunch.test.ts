// On Linux with glibc, `phototag tag|scan|retry|apply` runs in a child started with MALLOC_ARENA_MAX=2
// (src/launcher.ts). What a user sees must not change: exit codes and signals, one Ctrl-C is one, SIGTERM
// stops the run as Ctrl-C does, and nothing runs on once the launcher is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, ROOT, tempDirs } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { plainText, runInPty } from '../support/pty.js';

const BIN = path.join(ROOT, 'bin', 'phototag.js');
const KEY = 'sk-test-relaunch-123456';
const PHOTOS = ['htc-desire-gps.jpg', 'nikon-d5000.jpg', 'olympus-pen-e-p3.jpg', 'fujifilm-finepix2650.jpg', 'sony-dsc-hx5v-gps.jpg'];

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let slow: Fake;
const newDir = tempDirs('phototag-relaunch-');

beforeAll(async () => {
  slow = await startFakeOpenAI({ latencyMs: 1500 });
});
afterAll(async () => {
  await slow.close();
  await closeTestExifTool();
});

const envFor = (work: string, extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: work,
  TERM: 'xterm-256color',
  PHOTOTAG_DATA_DIR: path.join(work, 'data'),
  PHOTOTAG_API_KEY: KEY,
  ...extra,
});
const tagArgs = (files: string[], url = slow.url) => [
  BIN,
  'tag',
  '--provider',
  'openai',
  '--base-url',
  url,
  '--model',
  'fake/vision',
  '--rpm',
  '0',
  '--concurrency',
  '2',
  '--json',
  ...files,
];

interface Started {
  child: ChildProcess;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function start(args: string[], work: string, extra: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, args, { cwd: work, env: envFor(work, extra) });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, ended };
}

const parentOf = (pid: number): number | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
};

/** Every process below `root`, with its command line. */
function descendants(root: number): { pid: number; cmd: string }[] {
  const all = fs.readdirSync('/proc').filter((name) => /^\d+$/u.test(name));
  const found: { pid: number; cmd: string }[] = [];
  let parents = new Set([root]);
  while (parents.size > 0) {
    const next = new Set<number>();
    for (const name of all) {
      const pid = Number(name);
      const ppid = parentOf(pid);
      if (ppid === undefined || !parents.has(ppid)) continue;
      next.add(pid);
      try {
        found.push({ pid, cmd: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ') });
      } catch {
        // gone meanwhile
      }
    }
    parents = next;
  }
  return found;
}

const environOf = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
const exists = (pid: number) => fs.existsSync(`/proc/${pid}`);
const phototagProcesses = (root: number) => descendants(root).filter((p) => p.cmd.includes('phototag.js'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function untilCalls(count: number, fake = slow): Promise<void> {
  while (fake.state.calls.length < count) await sleep(50);
}

/** A model whose first two answers wait for `letGo`: the run is stopped while both photos are at the model. */
async function heldModel(): Promise<{ fake: Fake; letGo: () => void }> {
  let letGo = () => {};
  const held = new Promise<void>((resolve) => (letGo = resolve));
  const fake = await startFakeOpenAI({
    script: [
      { type: 'ok', hold: held },
      { type: 'ok', hold: held },
    ],
  });
  return { fake, letGo };
}

/** The photos with their paths, in a folder of their own. */
function photos(): { work: string; files: string[] } {
  const work = newDir();
  return {
    work,
    files: copyCorpus(
      work,
      PHOTOS.map((n) => `jpeg/${n}`),
    ),
  };
}

describe('the child with bounded malloc arenas', () => {
  it('runs tag with MALLOC_ARENA_MAX=2 (the launcher itself without), and prints the same NDJSON', async () => {
    const { fake, letGo } = await heldModel();
    try {
      const { work, files } = photos();
      const run = start(tagArgs(files.slice(0, 1), fake.url), work);
      await untilCalls(1, fake);
      const [child] = phototagProcesses(run.child.pid!);
      expect(child, 'a child running phototag').toBeDefined();
      expect(environOf(child!.pid)).toContain('MALLOC_ARENA_MAX=2');
      expect(environOf(child!.pid)).toContain('MALLOC_TRIM_THRESHOLD_=131072');
      // The launcher's pid is the child's business only: it is not passed on to ExifTool.
      for (const grandchild of descendants(child!.pid)) expect(environOf(grandchild.pid).join('\n')).not.toMatch(/PHOTOTAG_LAUNCHER_PID/u);
      expect(environOf(run.child.pid!)).not.toContain('MALLOC_ARENA_MAX=2');
      letGo();
      const ended = await run.ended;
      expect(ended.code).toBe(0);
      const lines = ended.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ file: files[0], status: 'done' });
    } finally {
      letGo();
      await fake.close();
    }
  });

  it.each([
    ['PHOTOTAG_NO_RELAUNCH=1', { PHOTOTAG_NO_RELAUNCH: '1' }],
    ["the user's own MALLOC_ARENA_MAX", { MALLOC_ARENA_MAX: '4' }],
  ])('is not started with %s', async (_name, extra) => {
    const { work, files } = photos();
    const callsBefore = slow.state.calls.length;
    const run = start(tagArgs(files.slice(0, 1)), work, extra);
    await untilCalls(callsBefore + 1);
    expect(phototagProcesses(run.child.pid!)).toEqual([]);
    expect((await run.ended).code).toBe(0);
  });

  it('gives the exit codes the CLI gives: 2 for a usage error, 1 when a photo failed', async () => {
    const work = newDir();
    const usage = await start([BIN, 'tag', '--concurrency', 'many', 'x.jpg'], work).ended;
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^phototag: .*concurrency.* \(see --help\)\n$/u);
    const missing = await start(tagArgs([path.join(work, 'missing.jpg')]), work).ended;
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout.trim())).toMatchObject({ status: 'failed' });
  });

  it('ends by the signal that ended the child (the OOM killer)', async () => {
    const { fake, letGo } = await heldModel();
    try {
      const { work, files } = photos();
      const run = start(tagArgs(files.slice(0, 1), fake.url), work);
      await untilCalls(1, fake);
      const [child] = phototagProcesses(run.child.pid!);
      process.kill(child!.pid, 'SIGKILL');
      expect(await run.ended).toMatchObject({ code: null, signal: 'SIGKILL' });
    } finally {
      letGo();
      await fake.close();
    }
  });
});

describe('signals to the launcher', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s (kill, not a terminal) reaches the child once: the photos in progress finish, the rest stay queued',
    async (signal) => {
      const { fake, letGo } = await heldModel();
      try {
        const { work, files } = photos();
        const run = start(tagArgs(files, fake.url), work);
        await untilCalls(2, fake);
        expect(phototagProcesses(run.child.pid!)).toHaveLength(1);
        run.child.kill(signal);
        // The answers come once the child has the signal (and would have had a second one, were it passed twice).
        run.child.stderr!.on('data', (d: Buffer) => {
          if (String(d).includes('received')) setTimeout(letGo, 300);
        });
        const ended = await run.ended;
        expect(ended.code).toBe(1);
        expect(ended.stderr.match(/received, finishing the photos in progress/gu)).toEqual([expect.any(String)]);
        expect(ended.stderr).toContain(`${signal} received`);
        expect(
          ended.stdout
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { status: string }).status),
        ).toEqual(['done', 'done']);
        expect(ended.stderr).toMatch(/2 done, 0 skipped, 0 failed, 3 still queued/u);
        expect(fake.state.calls).toHaveLength(2);
      } finally {
        letGo();
        await fake.close();
      }
    },
  );

  it('SIGKILL of the launcher leaves no phototag or ExifTool process running', async () => {
    // A model that never answers: a child that went on alone would still be waiting for it at the end.
    const stuck = await startFakeOpenAI({ fallback: { type: 'hang' } });
    try {
      const { work, files } = photos();
      const run = start(
        tagArgs(files).map((a) => (a === slow.url ? stuck.url : a)),
        work,
      );
      while (stuck.state.calls.length < 2) await sleep(50);
      const below = descendants(run.child.pid!);
      expect(below.filter((p) => p.cmd.includes('phototag.js'))).toHaveLength(1);
      expect(below.filter((p) => p.cmd.includes('exiftool')).length).toBeGreaterThan(0);
      run.child.kill('SIGKILL');
      // 'exit', not 'close': a child that lives on holds the output pipes open.
      await new Promise((resolve) => run.child.once('exit', resolve));
      const deadline = Date.now() + 15_000;
      while (below.some((p) => exists(p.pid)) && Date.now() < deadline) await sleep(100);
      const left = below.filter((p) => exists(p.pid));
      for (const p of left) process.kill(p.pid, 'SIGKILL');
      expect(left).toEqual([]);
    } finally {
      await stuck.close();
    }
  }, 30_000);

  it('Ctrl-C on a terminal reaches launcher and child alike and counts once: the photos in progress finish', async () => {
    const { fake, letGo } = await heldModel();
    try {
      const { work, files } = photos();
      let running: { pid: number; cmd: string }[] = [];
      let terminal: ChildProcess | undefined;
      let typed = false;
      const typer = setInterval(() => {
        if (typed || !terminal || fake.state.calls.length < 2) return;
        typed = true;
        running = phototagProcesses(terminal.pid!);
        terminal.stdin!.write('\x03'); // Ctrl-C, through the terminal's line discipline
      }, 50);
      const run = await runInPty([process.execPath, ...tagArgs(files, fake.url).filter((a) => a !== '--json')], {
        cwd: work,
        env: envFor(work),
        onOutput: (raw, script) => {
          terminal = script;
          if (raw.includes('SIGINT received')) setTimeout(letGo, 300);
        },
      }).finally(() => clearInterval(typer));
      expect(typed).toBe(true);
      // Launcher and child: the relaunch happened on the terminal too.
      expect(running).toHaveLength(2);
      expect(run.code).toBe(1);
      const text = plainText(run.raw);
      expect(text.match(/SIGINT received, finishing the photos in progress/gu)).toHaveLength(1);
      expect(text).toMatch(/2 done, 0 skipped, 0 failed, 3 still queued/u);
      expect(fake.state.calls).toHaveLength(2);
    } finally {
      letGo();
      await fake.close();
    }
  }, 30_000);
});
