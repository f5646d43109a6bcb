import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, CORPUS, readTags, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startFakeTelegram } from '../support/fake-telegram.mjs';
import { startServe, type Served } from '../support/serve.js';

// A bounded soak of `phototag serve` with watcher, bot and HTTP under a flaky model, SIGTERMed and restarted
// three times mid-work: every photo is written exactly once, every Telegram user gets every answer, no temp
// file or ExifTool process is left behind, and memory is measured run by run.
const TOKEN = '123456:ABC-soak-bot-token';
const USERS = [8001, 8002, 8003];
type Call = { method: string; body: Record<string, unknown> };
let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;
let telegram: Awaited<ReturnType<typeof startFakeTelegram>>;
let dir: string;
let served: Served | undefined;

const JPEGS = [
  'htc-desire-gps.jpg',
  'nikon-d5000.jpg',
  'olympus-pen-e-p3.jpg',
  'fujifilm-finepix2650.jpg',
  'panasonic-dmc-lc70.jpg',
  'canon-powershot-a85-orientation8.jpg',
];
const jpeg = (i: number) => Buffer.concat([fs.readFileSync(path.join(CORPUS, 'jpeg', JPEGS[i % JPEGS.length]!)), Buffer.from(`soak ${i}`)]);
const calls = (method: string, chat?: number): Call[] =>
  telegram.state.calls.filter((c: Call) => c.method === method && (chat === undefined || Number(c.body.chat_id) === chat));
const inbox = () => path.join(dir, 'inbox');
const data = () => path.join(dir, 'data');

async function until(check: () => boolean, what: string, ms = 45_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (served && served.child.exitCode !== null)
      throw new Error(`phototag serve exited (${served.child.exitCode}) while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The processes below `pid` (ExifTool runs as a child of the daemon). */
function descendants(pid: number): { pid: number; cmd: string }[] {
  const parentOf = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/u.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const below = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of parentOf) if (below.has(parent) && !below.has(child)) (below.add(child), (grew = true));
  }
  below.delete(pid);
  return [...below].map((p) => ({
    pid: p,
    cmd: (() => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/gu, ' ');
      } catch {
        return '';
      }
    })(),
  }));
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/u.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

beforeAll(async () => {
  // Every fourth model call fails with a 503 (transient: the photo is tried again later).
  fake = await startFakeOpenAI({ latencyMs: 300, fallback: (n: number) => (n % 4 === 1 ? { type: 'http', status: 503 } : { type: 'ok' }) });
  telegram = await startFakeTelegram(TOKEN);
  dir = tempDir('phototag-soak-');
  fs.mkdirSync(inbox());
  fs.writeFileSync(
    path.join(dir, 'phototag.config.json'),
    JSON.stringify({
      provider: 'openai',
      baseUrl: fake.url,
      model: 'fake/vision',
      rpm: 0,
      concurrency: 2,
      maxAttempts: 6,
      serve: { watch: [inbox()], stableSeconds: 0.5, shutdownSeconds: 15 },
      telegram: { allowedUsers: USERS, apiRoot: telegram.apiRoot },
    }),
  );
});
afterAll(async () => {
  if (served) {
    served.child.kill('SIGTERM');
    await served.exit;
  }
  await telegram.close();
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('phototag serve, restarted under load', () => {
  it('does every photo exactly once and answers every Telegram photo across three SIGTERMs mid-work', async () => {
    const exiftools: number[] = [];
    const rss: number[] = [];
    const logs: Record<string, unknown>[] = [];
    const start = async () => {
      served = await startServe(['--config', path.join(dir, 'phototag.config.json'), '--no-initial-scan'], {
        HOME: dir,
        PHOTOTAG_DATA_DIR: data(),
        PHOTOTAG_API_KEY: 'sk-soak',
        TELEGRAM_BOT_TOKEN: TOKEN,
      });
      expect((await fetch(new URL('/healthz', served.url))).status).toBe(200);
    };
    const stop = async () => {
      const pid = served!.child.pid!;
      exiftools.push(
        ...descendants(pid)
          .filter((p) => p.cmd.includes('exiftool'))
          .map((p) => p.pid),
      );
      rss.push(rssMb(pid));
      served!.child.kill('SIGTERM');
      expect((await served!.exit).code).toBe(0);
      logs.push(...served!.logs());
      served = undefined;
    };
    let photoCount = 0;
    let telegramCount = 0;
    const drop = async (watched: number, viaTelegram: number) => {
      for (let i = 0; i < watched; i++, photoCount++)
        fs.writeFileSync(path.join(inbox(), `w${String(photoCount).padStart(2, '0')}.jpg`), jpeg(photoCount));
      const queuedBefore = USERS.reduce(
        (n, u) => n + calls('sendMessage', u).filter((c) => String(c.body.text).startsWith('⏳')).length,
        0,
      );
      for (let i = 0; i < viaTelegram; i++, telegramCount++) {
        telegram.send({
          from: USERS[telegramCount % USERS.length]!,
          fileId: `soak${telegramCount}`,
          name: `t${telegramCount}.jpg`,
          bytes: jpeg(100 + telegramCount),
        });
      }
      await until(
        () =>
          USERS.reduce((n, u) => n + calls('sendMessage', u).filter((c) => String(c.body.text).startsWith('⏳')).length, 0) ===
          queuedBefore + viaTelegram,
        'the Telegram photos queued',
      );
      await new Promise((r) => setTimeout(r, 1000)); // the watched photos held still and were queued
    };
    const doneLines = () => served!.logs().filter((l) => l.msg === 'photo tagged').length;

    for (const [watched, viaTelegram] of [
      [6, 3],
      [4, 3],
      [3, 3],
    ] as const) {
      await start();
      await drop(watched, viaTelegram);
      await until(() => doneLines() >= 2, 'some work done before the SIGTERM');
      await stop(); // mid-work: photos running and queued
    }
    await start();
    const answers = () => USERS.reduce((n, u) => n + calls('sendDocument', u).length, 0);
    await until(
      () => answers() >= telegramCount && served!.logs().some((l) => l.msg === 'phototag serve ready'),
      'every Telegram answer',
      90_000,
    );
    const watchedFiles = fs
      .readdirSync(inbox())
      .filter((f) => f.endsWith('.jpg'))
      .map((f) => path.join(inbox(), f));
    const deadline = Date.now() + 60_000;
    const db = () => new Database(path.join(data(), 'phototag.db'), { readonly: true });
    const openJobs = () => {
      const handle = db();
      try {
        return (handle.prepare(`SELECT COUNT(*) AS n FROM photos WHERE status IN ('queued', 'running')`).get() as { n: number }).n;
      } finally {
        handle.close();
      }
    };
    while (openJobs() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await stop();

    // Every photo done exactly once: one model answer written per photo, recorded done, with its title.
    expect(watchedFiles).toHaveLength(photoCount);
    const handle = db();
    const rows = handle.prepare(`SELECT path, status FROM photos`).all() as { path: string; status: string }[];
    handle.close();
    expect(rows.filter((r) => r.status !== 'done')).toEqual([]);
    expect(rows).toHaveLength(photoCount + telegramCount);
    for (const file of watchedFiles) expect(String((await readTags(file))['XMP-dc:Title'])).toMatch(/^Photo \d+x\d+$/u);
    const writes = new Map<string, number>();
    for (const line of logs.filter((l) => l.msg === 'photo tagged'))
      writes.set(String(line.file), (writes.get(String(line.file)) ?? 0) + 1);
    expect(writes.size).toBe(photoCount + telegramCount);
    expect([...writes.values()].filter((n) => n !== 1)).toEqual([]);
    const okCalls = fake.state.calls.filter((_: unknown, n: number) => n % 4 !== 1).length;
    expect(okCalls).toBe(photoCount + telegramCount); // a photo whose write finished was never asked about again

    // Every Telegram user got every answer, once, and every status message ends "done".
    for (const user of USERS) {
      const sent = calls('sendDocument', user)
        .map((c) => (c.body.document as { name: string }).name)
        .sort();
      expect(sent).toEqual([...new Set(sent)]);
      expect(sent.length).toBe(telegramCount / USERS.length);
      expect(calls('editMessageText', user).filter((c) => String(c.body.text).endsWith(': done'))).toHaveLength(
        telegramCount / USERS.length,
      );
    }

    // Nothing left behind: no temp file beside the photos, no ExifTool process of any of the four daemons.
    const leftovers = [
      ...fs.readdirSync(inbox()),
      ...fs.readdirSync(path.join(data(), 'telegram'), { recursive: true }).map(String),
    ].filter((f) => /phototag-tmp|_exiftool_tmp|_original$/u.test(f));
    expect(leftovers).toEqual([]);
    expect(exiftools.length).toBeGreaterThan(0);
    // A daemon cut off at serve.shutdownSeconds leaves its ExifTool to the watchdog, which ends it within ~3 s of
    // its parent's exit: wait for that rather than racing it (a process still there after 15 s is an orphan).
    const orphans = () => exiftools.filter((pid) => alive(pid) && cmdline(pid).includes('exiftool'));
    const orphanDeadline = Date.now() + 15_000;
    while (orphans().length > 0 && Date.now() < orphanDeadline) await new Promise((r) => setTimeout(r, 250));
    expect(orphans()).toEqual([]);
    // Memory, run by run (measured, not a tight bound: a run's RSS depends on what it did).
    console.log(`soak: resident memory per run (MB): ${rss.map((mb) => mb.toFixed(0)).join(', ')}`);
    expect(Math.max(...rss)).toBeLessThan(Math.min(...rss) * 3);
  }, 240_000);
});
