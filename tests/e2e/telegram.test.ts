import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, CORPUS, readTags, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startFakeTelegram } from '../support/fake-telegram.mjs';
import { startServe, type Served } from '../support/serve.js';

const TOKEN = '123456:ABC-fake-bot-token';
const OWNER = 4242;
const STRANGER = 777;
const BUSY = 5151;
type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
type FakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>;
let fake: Fake;
let telegram: FakeTelegram;
let dir: string;
let served: Served;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  telegram = await startFakeTelegram(TOKEN);
  dir = tempDir('phototag-telegram-');
  fs.writeFileSync(
    path.join(dir, 'phototag.config.json'),
    JSON.stringify({
      provider: 'openai',
      baseUrl: fake.url,
      model: 'fake/vision',
      rpm: 0,
      concurrency: 1,
      languages: ['en', 'ru'],
      telegram: { allowedUsers: [OWNER, BUSY], apiRoot: telegram.apiRoot, maxQueuedPerUser: 20, perUserPerMinute: 25 },
    }),
  );
  served = await startServe(['--config', path.join(dir, 'phototag.config.json')], {
    HOME: dir,
    PHOTOTAG_DATA_DIR: path.join(dir, 'data'),
    PHOTOTAG_API_KEY: 'sk-tg',
    TELEGRAM_BOT_TOKEN: TOKEN,
  });
});
afterAll(async () => {
  served?.child.kill('SIGTERM');
  await served?.exit;
  await telegram.close();
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

const calls = (method: string, chat?: number) =>
  telegram.state.calls.filter(
    (c: { method: string; body: Record<string, unknown> }) =>
      c.method === method && (chat === undefined || Number(c.body.chat_id) === chat),
  );
async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out; calls: ${JSON.stringify(telegram.state.calls.map((c: { method: string }) => c.method))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the Telegram bot in phototag serve', () => {
  it('tags a photo an allowed user sends as a file and sends it back with its metadata', async () => {
    const bytes = fs.readFileSync(path.join(CORPUS, 'jpeg/htc-desire-gps.jpg'));
    telegram.send({ from: OWNER, fileId: 'doc1', name: 'IMG_0001.jpg', bytes, caption: 'Lisbon, tram 28' });
    await until(() => calls('sendDocument', OWNER).length === 1 && calls('sendMessage', OWNER).length >= 2);
    const sent = calls('sendDocument', OWNER)[0]!.body.document as { name: string; bytes: Buffer };
    expect(sent.name).toBe('IMG_0001.jpg');
    const copy = path.join(dir, 'returned.jpg');
    fs.writeFileSync(copy, sent.bytes);
    const tags = await readTags(copy);
    expect(tags['XMP-dc:Title']).toBe('Photo 776x909');
    expect(tags['XMP-dc:Title-ru']).toBe('Фото 776x909');
    const texts = calls('sendMessage', OWNER).map((c: { body: { text: string } }) => c.body.text);
    expect(texts[0]).toBe('⏳ IMG_0001.jpg: queued');
    expect(texts.at(-1)).toContain('Photo 776x909');
    expect(texts.at(-1)).toContain('landscape');
    expect(calls('editMessageText', OWNER).map((c: { body: { text: string } }) => c.body.text)).toEqual([
      '🔎 IMG_0001.jpg: analyzing',
      '✍️ IMG_0001.jpg: writing',
      '✅ IMG_0001.jpg: done',
    ]);
    expect(fake.state.calls.at(-1)!.prompt).toContain('The photographer says: Lisbon, tram 28');
    const stats = await (await fetch(new URL('/stats', served.url))).json();
    expect(stats.perSource).toContainEqual(expect.objectContaining({ source: 'telegram', done: 1, skipped: 0, failed: 0 }));
    // With the name Telegram gave the user, stored with the job.
    expect(stats.perTelegramUser).toEqual([
      { user: String(OWNER), name: `user${OWNER}`, done: 1, failed: 0, days: [expect.objectContaining({ done: 1, failed: 0 })] },
    ]);
    expect(telegram.state.polls).toBeGreaterThan(0); // long polling by default
  });

  it('refuses a user who is not on the list, telling them their ID, and downloads nothing of theirs', async () => {
    const before = calls('getFile').length;
    telegram.send({ from: STRANGER, fileId: 'doc-stranger', name: 'x.jpg', bytes: Buffer.from('secret') });
    await until(() => calls('sendMessage', STRANGER).length === 1);
    expect(calls('sendMessage', STRANGER)[0]!.body.text).toContain(`Your Telegram user ID is ${STRANGER}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(calls('getFile').length).toBe(before);
  });

  it('answers an oversized file and a non-image without downloading, and keeps a hostile name inside the inbox', async () => {
    const before = calls('getFile').length;
    telegram.send({ from: OWNER, fileId: 'big', name: 'huge.jpg', size: 25 * 1024 * 1024 });
    telegram.send({ from: OWNER, fileId: 'txt', name: 'notes.txt', mime: 'text/plain', bytes: Buffer.from('hello') });
    await until(
      () =>
        calls('sendMessage', OWNER).some((c: { body: { text: string } }) => c.body.text.includes('huge.jpg is 25.0 MB')) &&
        calls('sendMessage', OWNER).some((c: { body: { text: string } }) => c.body.text.includes('notes.txt: not a photo')),
    );
    expect(calls('getFile').length).toBe(before);

    telegram.send({
      from: OWNER,
      fileId: 'evil',
      name: '../../etc/passwd.jpg',
      bytes: fs.readFileSync(path.join(CORPUS, 'jpeg/nikon-d5000.jpg')),
    });
    await until(() => calls('sendDocument', OWNER).length === 2);
    const inbox = path.join(dir, 'data', 'telegram', String(OWNER));
    expect(fs.readdirSync(inbox).some((f) => f.endsWith('-passwd.jpg'))).toBe(true);
    expect((calls('sendDocument', OWNER)[1]!.body.document as { name: string }).name).toBe('passwd.jpg');
    expect(fs.existsSync(path.join(dir, 'etc'))).toBe(false);
  });

  it('Regenerate asks the model again and Edit writes exactly the corrected text', async () => {
    const buttons = () => calls('sendMessage', OWNER).filter((c: { body: Record<string, unknown> }) => c.body.reply_markup);
    const first = buttons()[0]!.body.reply_markup as { inline_keyboard: { callback_data: string }[][] };
    const [regen, edit] = first.inline_keyboard[0]!.map((b) => b.callback_data);
    const sentBefore = calls('sendDocument', OWNER).length;
    const modelCalls = fake.state.calls.length;
    fake.push({ type: 'ok', title: 'A second opinion' });
    telegram.press(OWNER, regen!);
    await until(() => calls('sendDocument', OWNER).length === sentBefore + 1);
    expect(fake.state.calls.length).toBe(modelCalls + 1);
    const regenerated = path.join(dir, 'regenerated.jpg');
    fs.writeFileSync(regenerated, (calls('sendDocument', OWNER).at(-1)!.body.document as { bytes: Buffer }).bytes);
    expect((await readTags(regenerated))['XMP-dc:Title']).toBe('A second opinion');

    telegram.press(OWNER, edit!);
    await until(() =>
      calls('sendMessage', OWNER).some((c: { body: { text: string } }) =>
        c.body.text.startsWith('Reply to this message with the corrected text'),
      ),
    );
    const prompt = calls('sendMessage', OWNER).filter((c: { body: { text: string } }) =>
      c.body.text.startsWith('Reply to this message'),
    )[0]!;
    telegram.text(
      OWNER,
      'Tram in Lisbon\nA yellow tram climbs a narrow street.\ntram, Lisbon, yellow',
      (prompt as unknown as { result: { message_id: number } }).result.message_id,
    );
    await until(() => calls('sendDocument', OWNER).length === sentBefore + 2);
    expect(fake.state.calls.length).toBe(modelCalls + 1); // Edit asks no model
    const edited = path.join(dir, 'edited.jpg');
    fs.writeFileSync(edited, (calls('sendDocument', OWNER).at(-1)!.body.document as { bytes: Buffer }).bytes);
    const tags = await readTags(edited);
    expect(tags['XMP-dc:Title']).toBe('Tram in Lisbon');
    expect(tags['XMP-dc:Description']).toBe('A yellow tram climbs a narrow street.');
    expect(tags['IPTC:Keywords']).toEqual(['tram', 'Lisbon', 'yellow']);
  });

  it("/lang ru tags that user's photos in Russian only and the bot answers in Russian; /stats answers with their numbers", async () => {
    telegram.text(OWNER, '/lang ru');
    await until(() =>
      calls('sendMessage', OWNER).some((c: { body: { text: string } }) => c.body.text === 'Ваши фото подписываются на: ru.'),
    );
    const sent = calls('sendDocument', OWNER).length;
    telegram.send({
      from: OWNER,
      fileId: 'ru1',
      name: 'ru.jpg',
      bytes: fs.readFileSync(path.join(CORPUS, 'jpeg/fujifilm-finepix2650.jpg')),
    });
    await until(() => calls('sendDocument', OWNER).length === sent + 1);
    const copy = path.join(dir, 'ru.jpg');
    fs.writeFileSync(copy, (calls('sendDocument', OWNER).at(-1)!.body.document as { bytes: Buffer }).bytes);
    expect((await readTags(copy))['XMP-dc:Title']).toBe('Фото 1024x768');
    expect(fake.state.calls.at(-1)!.languages).toEqual(['ru']);
    telegram.text(OWNER, '/lang en+ru');
    await until(() =>
      calls('sendMessage', OWNER).some((c: { body: { text: string } }) => c.body.text === 'Photos you send are tagged in: en + ru.'),
    );
    telegram.text(OWNER, '/stats');
    await until(() => calls('sendMessage', OWNER).some((c: { body: { text: string } }) => c.body.text.startsWith('You (30 days):')));
  });

  it("50 photos in a burst: the per-user cap holds, Telegram's 429 is waited out, every photo is answered", async () => {
    const bytes = fs.readFileSync(path.join(CORPUS, 'jpeg/htc-desire-gps.jpg'));
    telegram.state.tooMany.set('sendDocument', 1);
    for (let i = 0; i < 50; i++)
      telegram.send({ from: BUSY, fileId: `burst${i}`, name: `b${i}.jpg`, bytes: Buffer.concat([bytes, Buffer.from(`burst ${i}`)]) });
    const texts = () => calls('sendMessage', BUSY).map((c: { body: { text: string } }) => c.body.text);
    await until(() => texts().filter((t: string) => t.startsWith('⏳') || t.startsWith('You already have')).length === 50, 30_000);
    expect(texts().filter((t: string) => t.startsWith('⏳'))).toHaveLength(20);
    expect(texts().filter((t: string) => t.startsWith('You already have'))).toHaveLength(30);
    expect(calls('getFile').filter((c: { body: { file_id: string } }) => c.body.file_id.startsWith('burst'))).toHaveLength(20);
    await until(() => calls('sendDocument', BUSY).length === 21, 120_000); // 20 and the one refused with 429, sent again
    expect(calls('editMessageText', BUSY).filter((c: { body: { text: string } }) => c.body.text.includes(': done'))).toHaveLength(20);
    // Within the same minute: 25 per minute, 20 already accepted.
    for (let i = 50; i < 60; i++)
      telegram.send({ from: BUSY, fileId: `burst${i}`, name: `b${i}.jpg`, bytes: Buffer.concat([bytes, Buffer.from(`burst ${i}`)]) });
    // The accepted ones say "queued" once downloaded; the refused ones are answered at once.
    await until(
      () =>
        texts().filter((t: string) => t.startsWith('You sent')).length === 5 &&
        texts().filter((t: string) => t.startsWith('⏳')).length === 25,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(texts().filter((t: string) => t.startsWith('You sent'))).toHaveLength(5);
    expect(texts().filter((t: string) => t.startsWith('⏳'))).toHaveLength(25);
    await until(() => calls('sendDocument', BUSY).length === 26, 60_000);
  });

  it('ignores group chats unless allowed', async () => {
    const before = telegram.state.calls.length;
    telegram.send({ from: OWNER, fileId: 'group', name: 'g.jpg', bytes: Buffer.from('x'), chatType: 'group' });
    await new Promise((r) => setTimeout(r, 1500));
    // Nothing to the group or to its sender (other users' photos may still be finishing).
    const toThem = telegram.state.calls
      .slice(before)
      .filter(
        (c: { method: string; body: { chat_id?: unknown; file_id?: string } }) =>
          [OWNER, -100 - OWNER].includes(Number(c.body.chat_id)) || c.body.file_id === 'group',
      );
    expect(toThem).toEqual([]);
  });

  it("/retry tries the user's failed photos again, with a status message each", async () => {
    telegram.send({
      from: OWNER,
      fileId: 'broken',
      name: 'broken.jpg',
      bytes: fs.readFileSync(path.join(CORPUS, 'broken/truncated-jpeg-100x100.jpg')),
    });
    const failedEdits = () =>
      calls('editMessageText', OWNER).filter((c: { body: { text: string } }) => c.body.text.startsWith('❌ broken.jpg'));
    await until(() => failedEdits().length === 1);
    expect(failedEdits()[0]!.body.text).toContain('premature end of JPEG image');
    telegram.text(OWNER, '/retry');
    await until(() =>
      calls('sendMessage', OWNER).some(
        (c: { body: { text: string } }) => c.body.text === 'Trying 1 failed photo again.' || c.body.text === 'Пробую ещё раз: 1.',
      ),
    );
    await until(() => failedEdits().length === 2);
  });

  it('tags a compressed photo with a note, and answers /status', async () => {
    const sent = calls('sendDocument', OWNER).length;
    telegram.send({
      from: OWNER,
      fileId: 'compressed',
      photo: true,
      bytes: fs.readFileSync(path.join(CORPUS, 'jpeg/olympus-pen-e-p3.jpg')),
    });
    await until(() => calls('sendDocument', OWNER).length === sent + 1);
    expect(
      calls('sendMessage', OWNER).some((c: { body: { text: string } }) => c.body.text.includes('Telegram compressed this photo')),
    ).toBe(true);
    telegram.text(OWNER, '/status');
    await until(() => calls('sendMessage', OWNER).some((c: { body: { text: string } }) => c.body.text.startsWith('Queue:')));
    expect(JSON.stringify(served.logs())).not.toContain(TOKEN);
  });
});
