import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, CORPUS, readTags, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startFakeTelegram } from '../support/fake-telegram.mjs';
import { startServe, type Served } from '../support/serve.js';

// serve.processedDir / failedDir: only watched photos move, only after the reply, never over another file.
const TOKEN = '123456:ABC-mover-bot-token';
const USER = 7001;
type Call = { method: string; body: Record<string, unknown> };
let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;
let telegram: Awaited<ReturnType<typeof startFakeTelegram>>;
let dir: string;
let served: Served;

const jpeg = (name: string, marker: string) => Buffer.concat([fs.readFileSync(path.join(CORPUS, 'jpeg', name)), Buffer.from(marker)]);
const sent = () => telegram.state.calls.filter((c: Call) => c.method === 'sendDocument' && Number(c.body.chat_id) === USER);

beforeAll(async () => {
  fake = await startFakeOpenAI();
  telegram = await startFakeTelegram(TOKEN);
  dir = tempDir('phototag-mover-');
  fs.mkdirSync(path.join(dir, 'inbox'));
  fs.writeFileSync(
    path.join(dir, 'phototag.config.json'),
    JSON.stringify({
      provider: 'openai',
      baseUrl: fake.url,
      model: 'fake/vision',
      rpm: 0,
      concurrency: 2,
      serve: {
        watch: [path.join(dir, 'inbox')],
        stableSeconds: 0.5,
        processedDir: path.join(dir, 'processed'),
        failedDir: path.join(dir, 'failed'),
      },
      telegram: { allowedUsers: [USER], apiRoot: telegram.apiRoot },
    }),
  );
  served = await startServe(['--config', path.join(dir, 'phototag.config.json')], {
    HOME: dir,
    PHOTOTAG_DATA_DIR: path.join(dir, 'data'),
    PHOTOTAG_API_KEY: 'sk-mover',
    TELEGRAM_BOT_TOKEN: TOKEN,
  });
});
afterAll(async () => {
  served.child.kill('SIGTERM');
  await served.exit;
  await telegram.close();
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (served.child.exitCode !== null)
      throw new Error(`phototag serve exited (${served.child.exitCode}) while waiting for ${what}: ${(await served.exit).stderr}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the processed and failed folders', () => {
  it('with Telegram: the photo is sent back tagged, its inbox file stays, and the daemon keeps running', async () => {
    telegram.send({ from: USER, fileId: 'tg1', name: 'phone.jpg', bytes: jpeg('htc-desire-gps.jpg', 'tg') });
    await until(() => sent().length === 1, 'the answer');
    const copy = path.join(dir, 'returned.jpg');
    fs.writeFileSync(copy, (sent()[0]!.body.document as { bytes: Buffer }).bytes);
    expect(String((await readTags(copy))['XMP-dc:Title'])).toMatch(/^Photo \d+x\d+$/);
    const inboxFiles = fs.readdirSync(path.join(dir, 'data', 'telegram', String(USER)));
    expect(inboxFiles.filter((f) => f.endsWith('-phone.jpg'))).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, 'processed')) ? fs.readdirSync(path.join(dir, 'processed'), { recursive: true }) : []).toEqual([]);
    expect((await fetch(new URL('/healthz', served.url))).status).toBe(200);
  });

  it('never replaces a photo of the same name: both IMG_0001.jpg are kept, the sidecar follows its photo, the log and database tell the truth', async () => {
    const inbox = path.join(dir, 'inbox');
    const tagged = () =>
      served.logs().filter((l) => l.msg === 'photo moved' || l.msg === 'photo moved under a new name: the name was taken');
    fs.writeFileSync(path.join(inbox, 'IMG_0001.jpg'), jpeg('nikon-d5000.jpg', 'camera A'));
    await until(() => tagged().length === 1, 'the first IMG_0001.jpg moved');
    // A second camera (or a counter that wrapped): the same name, other pixels, with a sidecar.
    fs.writeFileSync(path.join(inbox, 'IMG_0001.xmp'), '<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>\n');
    fs.writeFileSync(path.join(inbox, 'IMG_0001.jpg'), jpeg('olympus-pen-e-p3.jpg', 'camera B'));
    await until(() => tagged().length === 2, 'the second IMG_0001.jpg moved');
    const processed = path.join(dir, 'processed');
    expect(fs.readdirSync(processed).sort()).toEqual(['IMG_0001 (2).jpg', 'IMG_0001 (2).xmp', 'IMG_0001.jpg']);
    expect(fs.readFileSync(path.join(processed, 'IMG_0001.jpg')).subarray(-8).toString()).toBe('camera A');
    expect(fs.readFileSync(path.join(processed, 'IMG_0001 (2).jpg')).subarray(-8).toString()).toBe('camera B');
    expect(String((await readTags(path.join(processed, 'IMG_0001 (2).jpg')))['XMP-dc:Title'])).toMatch(/^Photo \d+x\d+$/);
    expect(served.logs().filter((l) => l.msg === 'could not move the photo; it stays where it is')).toEqual([]);
    expect(tagged().at(-1)).toMatchObject({ to: path.join(processed, 'IMG_0001 (2).jpg') });
    // Every photo the database knows is where it says.
    const db = new Database(path.join(dir, 'data', 'phototag.db'), { readonly: true });
    const rows = db.prepare(`SELECT path, status FROM photos WHERE status = 'done'`).all() as { path: string }[];
    db.close();
    expect(rows.map((r) => r.path)).toEqual(
      expect.arrayContaining([path.join(processed, 'IMG_0001.jpg'), path.join(processed, 'IMG_0001 (2).jpg')]),
    );
    for (const row of rows) expect(fs.existsSync(row.path)).toBe(true);
  });
});
