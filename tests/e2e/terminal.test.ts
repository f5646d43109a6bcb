import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, readTags, ROOT, tempDirs } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { framesOf, plainText, runInPty, screenOf, shellQuote } from '../support/pty.js';
import { displayWidth } from '../../src/ui/width.js';

// The built CLI on a real pseudo-terminal (util-linux `script`), read as the screen a person would see.
const BIN = path.join(ROOT, 'bin', 'phototag.js');
const KEY = 'sk-test-terminal-123456';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const newDir = tempDirs('phototag-tty-');
let home: string;

beforeAll(async () => {
  fake = await startFakeOpenAI({ latencyMs: 300 });
  home = newDir();
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

const provider = (url = fake.url) => ['--provider', 'openai', '--base-url', url, '--model', 'fake/vision', '--rpm', '0'];
const envFor = (work: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  HOME: home,
  TERM: 'xterm-256color',
  PHOTOTAG_DATA_DIR: path.join(work, 'data'),
  PHOTOTAG_API_KEY: KEY,
});
const phototagArgs = (args: string[]) => [process.execPath, BIN, ...args];

/** A stack trace in output: "    at fn (file:line:col)" lines or an uncaught error's header. */
const STACK = /^\s+at .+[:(]|Error: write EPIPE|unexpected error/mu;
const BAR_LINE = /[█░]{3}/u;

function statuses(work: string): Record<string, string> {
  const db = new Database(path.join(work, 'data', 'phototag.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT path, status FROM photos').all() as { path: string; status: string }[];
    return Object.fromEntries(rows.map((r) => [path.basename(r.path), r.status]));
  } finally {
    db.close();
  }
}

describe('phototag tag on a terminal', () => {
  it('scrolls each finished photo above the bar: title, failure and its reason, and points at retry --list', async () => {
    const work = newDir();
    copyCorpus(work, ['jpeg/nikon-d5000.jpg', 'jpeg/htc-desire-gps.jpg', 'broken/truncated-jpeg-100x100.jpg']);
    const run = await runInPty(
      phototagArgs(['tag', ...provider(), 'nikon-d5000.jpg', 'htc-desire-gps.jpg', 'truncated-jpeg-100x100.jpg']),
      { cwd: work, env: envFor(work), size: { cols: 160, rows: 24 } },
    );
    expect(run.code).toBe(1);
    const screen = screenOf(run.raw, 160);
    expect(screen).toContain('✓ nikon-d5000.jpg: tagged "Photo 858x570" [landscape, outdoor, travel, nature, 858x570]');
    expect(screen).toContain('✓ htc-desire-gps.jpg: tagged "Photo 776x909" [landscape, outdoor, travel, nature, 776x909]');
    expect(screen.join('\n')).toContain('✗ truncated-jpeg-100x100.jpg: cannot decode image: the file is truncated or');
    expect(screen.some((l) => /^2 done, 0 skipped, 1 failed of 3 found in [\d.]+ s/u.test(l))).toBe(true);
    expect(screen).toContain('1 failed: `phototag retry --list` shows why');
    // The bar is gone once the summary is there: no stale frame.
    expect(screen.filter((l) => BAR_LINE.test(l))).toEqual([]);
    expect(plainText(run.raw)).not.toMatch(STACK);
  });

  it('shows the whole --dry-run proposal per language, the target and its fields, on a terminal and in a pipe', async () => {
    const work = newDir();
    copyCorpus(work, ['jpeg/nikon-d5000.jpg']);
    const args = ['tag', ...provider(), '--dry-run', '--lang', 'en,ru', 'nikon-d5000.jpg'];
    const expected = [
      '✓ nikon-d5000.jpg: would write "Photo 858x570" (dry run, nothing written)',
      '    en title:       Photo 858x570',
      '       description: A photograph of width 858x570.',
      '       keywords:    landscape, outdoor, travel, nature, 858x570',
      '    ru title:       Фото 858x570',
      '       description: Фотография шириной 858x570.',
    ];
    const tty = await runInPty(phototagArgs(args), { cwd: work, env: envFor(work), size: { cols: 200, rows: 40 } });
    expect(tty.code).toBe(0);
    const screen = screenOf(tty.raw, 200);
    for (const line of expected) expect(screen).toContain(line);
    expect(screen.find((l) => l.startsWith('    into nikon-d5000.jpg: '))).toMatch(
      /XMP-dc:Title-x-default, IPTC:ObjectName, .*XMP-dc:Title-ru/u,
    );

    const piped = await new Promise<string>((resolve) => {
      // A data folder of its own: the answer is not cached from the run above.
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: work,
        env: { ...envFor(work), PHOTOTAG_DATA_DIR: path.join(work, 'data2') },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', () => resolve(out));
    });
    const lines = piped.split('\n');
    for (const line of expected) expect(lines).toContain(line);
    expect(lines.find((l) => l.startsWith('    into nikon-d5000.jpg: '))).toContain('IPTC:Keywords');
  });

  it('keeps the status in 80 columns, one line per photo in progress, and does not count those as queued', async () => {
    const work = newDir();
    const long = `${'a-very-long-folder-name-for-photos-'.repeat(3)}IMG_0001.jpg`;
    copyCorpus(work, [
      ['jpeg/nikon-d5000.jpg', long],
      ['jpeg/htc-desire-gps.jpg', 'second.jpg'],
      ['jpeg/olympus-pen-e-p3.jpg', 'third.jpg'],
    ]);
    const run = await runInPty(phototagArgs(['tag', ...provider(), '--concurrency', '2', long, 'second.jpg', 'third.jpg']), {
      cwd: work,
      env: envFor(work),
    });
    expect(run.code).toBe(0);
    const frames = framesOf(run.raw)
      .map((f) => f.split(/\r?\n/u).filter((l) => l !== ''))
      .filter((lines) => lines.some((l) => BAR_LINE.test(l)));
    expect(frames.length).toBeGreaterThan(2);
    for (const lines of frames) {
      const bar = lines.findIndex((l) => BAR_LINE.test(l));
      const status = lines.slice(bar);
      for (const line of status) expect(displayWidth(line)).toBeLessThanOrEqual(80);
      // The bar, the counts, then one line per photo in progress: nothing wraps onto a line of its own.
      expect(status[1]).toMatch(/^\d+ done · \d+ skipped · \d+ failed · \d+ queued · \d+ tokens · \$\d/u);
      for (const line of status.slice(2)) expect(line).toMatch(/^ {2}(reading|waiting|analyzing|writing) \S/u);
    }
    // A photo in progress (at the model, or read ahead of a free model slot) is not also counted as queued:
    // in every frame, the counts and the lines of photos in progress add up to the three photos.
    const whole = frames.filter((lines) => lines.some((l) => BAR_LINE.test(l) && / \d\/3\b/u.test(l)));
    expect(whole.length).toBeGreaterThan(0);
    for (const lines of whole) {
      const counts = lines.find((l) => / queued · /u.test(l))!;
      const [done, skipped, failed, queued] = [/(\d+) done/u, /(\d+) skipped/u, /(\d+) failed/u, /(\d+) queued/u].map((re) =>
        Number(re.exec(counts)![1]),
      );
      const inProgress = lines.filter((l) => /^ {2}(reading|waiting|analyzing|writing) /u.test(l)).length;
      expect(done! + skipped! + failed! + queued! + inProgress, lines.join('\n')).toBe(3);
    }
    expect(whole.some((lines) => lines.filter((l) => l.startsWith('  analyzing')).length === 2)).toBe(true);
  });

  it('lays out for 80 columns on a 0×0 pseudo-terminal instead of one character per line', async () => {
    const work = newDir();
    copyCorpus(work, ['jpeg/nikon-d5000.jpg', 'jpeg/htc-desire-gps.jpg']);
    const run = await runInPty(phototagArgs(['tag', ...provider(), 'nikon-d5000.jpg', 'htc-desire-gps.jpg']), {
      cwd: work,
      env: envFor(work),
      size: null,
    });
    expect(run.code).toBe(0);
    const text = plainText(run.raw);
    expect(text).toMatch(/░{10,} 0\/2/u);
    expect(text).not.toMatch(/\n░\n░\n/u);
    const screen = screenOf(run.raw);
    expect(screen.some((l) => l.startsWith('✓ nikon-d5000.jpg: tagged "Photo 858x570" [landscape, outdoor'))).toBe(true);
    expect(screen.some((l) => /^2 done, 0 skipped, 0 failed of 2 found in/u.test(l))).toBe(true);
  });

  it('on Ctrl-C finishes the photos at the model with every field, sends none of those read ahead, and leaves no stale frame', async () => {
    let letGo = () => {};
    const held = new Promise<void>((resolve) => (letGo = resolve));
    // The two answers wait until the Ctrl-C is in: the photos behind them are read and waiting for a slot by then.
    const slow = await startFakeOpenAI({
      script: [
        { type: 'ok', hold: held },
        { type: 'ok', hold: held },
      ],
    });
    try {
      const work = newDir();
      const names = ['nikon-d5000.jpg', 'htc-desire-gps.jpg', 'olympus-pen-e-p3.jpg', 'fujifilm-finepix2650.jpg', 'panasonic-dmc-lc70.jpg'];
      copyCorpus(
        work,
        names.map((n) => `jpeg/${n}`),
      );
      let terminal: ChildProcess | undefined;
      let typed = false;
      const typer = setInterval(() => {
        if (typed || !terminal || slow.state.calls.length < 2) return;
        typed = true;
        terminal.stdin!.write('\x03'); // Ctrl-C, through the terminal's line discipline: ExifTool's processes get it too
      }, 50);
      const run = await runInPty(phototagArgs(['tag', ...provider(slow.url), '--concurrency', '2', ...names]), {
        cwd: work,
        env: envFor(work),
        onOutput: (raw, child) => {
          terminal = child;
          if (raw.includes('SIGINT received')) setTimeout(letGo, 300);
        },
      }).finally(() => clearInterval(typer));
      expect(typed).toBe(true);
      expect(run.code).toBe(1);
      const screen = screenOf(run.raw);
      expect(screen.join('\n')).toContain('SIGINT received, finishing the photos in progress');
      expect(screen).toContain('stopped: interrupted');
      expect(screen.some((l) => /^2 done, 0 skipped, 0 failed, 3 still queued/u.test(l))).toBe(true);
      expect(screen.filter((l) => BAR_LINE.test(l) || /^\s+(reading|waiting|analyzing|writing) /u.test(l))).toEqual([]);
      expect(slow.state.calls).toHaveLength(2);
      const status = statuses(work);
      expect(Object.values(status).sort()).toEqual(['done', 'done', 'queued', 'queued', 'queued']);
      // The terminal's SIGINT must not cut off the ExifTool writing a photo in progress: every field is there.
      expect(screen.join('\n')).not.toContain('not written');
      for (const [name, state] of Object.entries(status)) {
        if (state !== 'done') continue;
        const tags = await readTags(path.join(work, name));
        const file = name;
        expect(tags['IFD0:ImageDescription'], file).toMatch(/^A photograph/u);
        expect(tags['XMP-dc:Title'], file).toMatch(/^Photo /u);
      }
    } finally {
      letGo();
      await slow.close();
    }
  });
});

describe('phototag scan on a terminal', () => {
  it('shows an ETA once the walk is done', async () => {
    const work = newDir();
    const photos = path.join(work, 'photos');
    fs.mkdirSync(photos);
    copyCorpus(photos, ['jpeg/nikon-d5000.jpg', 'jpeg/htc-desire-gps.jpg', 'jpeg/olympus-pen-e-p3.jpg', 'jpeg/fujifilm-finepix2650.jpg']);
    const run = await runInPty(phototagArgs(['scan', ...provider(), '--concurrency', '1', 'photos']), { cwd: work, env: envFor(work) });
    expect(run.code).toBe(0);
    const frames = framesOf(run.raw);
    expect(frames.some((f) => /\d\/4 · [\d.]+\/s · ETA \d+s/u.test(f))).toBe(true);
  });
});

describe('a closed output (| head)', () => {
  it('tag … | head -1: no stack trace, the photos in progress finish, the rest stay queued', async () => {
    const work = newDir();
    const names = ['nikon-d5000.jpg', 'htc-desire-gps.jpg', 'olympus-pen-e-p3.jpg', 'fujifilm-finepix2650.jpg', 'panasonic-dmc-lc70.jpg'];
    copyCorpus(
      work,
      names.map((n) => `jpeg/${n}`),
    );
    const command = `${shellQuote(phototagArgs(['tag', ...provider(), '--concurrency', '1', ...names]))} | head -1; echo "rc=\${PIPESTATUS[0]}" >&2`;
    const run = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', command], { cwd: work, env: envFor(work) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', () => resolve({ stdout, stderr }));
    });
    // The first photo to finish: photos read ahead take the model slot in the order they are ready.
    expect(run.stdout).toMatch(/^✓ \S+\.jpg: tagged "Photo \d+x\d+" \[landscape, outdoor, travel, nature, \d+x\d+\]\n$/u);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stderr).toContain('phototag: output closed, finishing the photos in progress');
    expect(run.stderr).toContain('phototag: stopped: output closed');
    expect(run.stderr).toContain('rc=1');
    const status = statuses(work);
    expect(Object.keys(status)).toHaveLength(5);
    for (const name of names) {
      expect(['done', 'queued']).toContain(status[name]);
      const title = (await readTags(path.join(work, name)))['XMP-dc:Title'];
      if (status[name] === 'done') expect(title).toMatch(/^Photo \d+x\d+$/u);
      else expect(title).toBeUndefined();
    }
    expect(Object.values(status).filter((s) => s === 'queued').length).toBeGreaterThan(0);
    expect(fs.readdirSync(work).filter((f) => f.includes('phototag-tmp'))).toEqual([]);
  });
});

describe('phototag stats on a terminal', () => {
  it('aligns its tables by display width and cuts rows to the width instead of wrapping them', async () => {
    const work = newDir();
    const names = ['фото-東京-🌸-a-long-name-of-a-photo-that-goes-on-and-on-and-on.jpg', 'b.jpg'];
    copyCorpus(work, [
      ['broken/truncated-jpeg-100x100.jpg', names[0]!],
      ['broken/truncated-jpeg-100x100.jpg', names[1]!],
      'jpeg/nikon-d5000.jpg',
    ]);
    const tag = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'tag', ...provider(), ...names, 'nikon-d5000.jpg'], { cwd: work, env: envFor(work) });
      child.on('close', resolve);
    });
    expect(tag).toBe(1);
    const run = await runInPty(phototagArgs(['stats', '--days', '2']), { cwd: work, env: envFor(work) });
    expect(run.code).toBe(0);
    const screen = screenOf(run.raw);
    for (const line of screen) expect(displayWidth(line)).toBeLessThan(80);
    const endOf = (line: string, match: RegExp) => displayWidth(line.slice(0, match.exec(line)!.index + match.exec(line)![0].length));
    const failures = screen.indexOf('failures');
    expect(failures).toBeGreaterThan(0);
    const header = screen[failures + 1]!;
    expect(header).toMatch(/^kind\s+count\s+newest examples$/u);
    const rows = screen.slice(failures + 2, failures + 4);
    expect(rows[0]).toMatch(/^corrupt\s+2\s+\//u);
    // The count sits right under "count", the examples start under "newest examples", whatever the name holds.
    expect(endOf(rows[0]!, /^corrupt\s+2/u)).toBe(endOf(header, /^kind\s+count/u));
    const examples = displayWidth(header.slice(0, header.indexOf('newest')));
    for (const row of rows) expect(displayWidth(row.slice(0, row.indexOf('/')))).toBe(examples);
    expect(rows.some((r) => r.includes('東京') && r.endsWith('…'))).toBe(true);
    const source = screen.indexOf('per source');
    expect(endOf(screen[source + 2]!, /^cli\s+\d+\s+\d+\s+\d+/u)).toBe(endOf(screen[source + 1]!, /^source\s+done\s+skipped\s+failed/u));
  });
});
