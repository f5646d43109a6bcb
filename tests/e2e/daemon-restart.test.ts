import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, CORPUS, readTags, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startFakeTelegram } from '../support/fake-telegram.mjs';
import { startServe, type Served } from '../support/serve.js';

// The daemon keeps every promise across restarts: a job carries who asked and how, so photos queued when
// it stopped are tagged after the next start, exactly as asked, and their senders get the answers.
const TOKEN = '123456:ABC-restart-bot-token';
const RU = 6001;
const EN = 6002;
type Call = { method: string; body: Record<string, unknown> & { text?: string } };
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
const jpeg = (i: number) =>
  Buffer.concat([fs.readFileSync(path.join(CORPUS, 'jpeg', JPEGS[i % JPEGS.length]!)), Buffer.from(`restart ${i}`)]);
const calls = (method: string, chat?: number): Call[] =>
  telegram.state.calls.filter((c: Call) => c.method === method && (chat === undefined || Number(c.body.chat_id) === chat));
const texts = (chat: number) => calls('sendMessage', chat).map((c) => String(c.body.text));
const edits = (chat: number) => calls('editMessageText', chat).map((c) => String(c.body.text));

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; telegram calls: ${JSON.stringify(telegram.state.calls.map((c: Call) => [c.method, c.body.text]).slice(-30))}`,
      );
    if (served && served.child.exitCode !== null)
      throw new Error(`phototag serve exited (${served.child.exitCode}) while waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const inbox = () => path.join(dir, 'inbox');
const data = () => path.join(dir, 'data');
const start = () =>
  startServe(['--config', path.join(dir, 'phototag.config.json'), '--no-initial-scan'], {
    HOME: dir,
    PHOTOTAG_DATA_DIR: data(),
    PHOTOTAG_API_KEY: 'sk-restart',
    TELEGRAM_BOT_TOKEN: TOKEN,
  });
async function stop(): Promise<void> {
  served!.child.kill('SIGTERM');
  expect((await served!.exit).code).toBe(0);
  served = undefined;
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ latencyMs: 700 });
  telegram = await startFakeTelegram(TOKEN);
  dir = tempDir('phototag-restart-');
  fs.mkdirSync(inbox());
  fs.writeFileSync(
    path.join(dir, 'phototag.config.json'),
    JSON.stringify({
      provider: 'openai',
      baseUrl: fake.url,
      model: 'fake/vision',
      rpm: 0,
      concurrency: 1,
      languages: ['en', 'ru'],
      serve: { watch: [inbox()], stableSeconds: 0.5, shutdownSeconds: 10 },
      telegram: { allowedUsers: [RU, EN], apiRoot: telegram.apiRoot },
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

describe('phototag serve across a restart', () => {
  it('tags the Telegram and watched photos still queued at SIGTERM after the next start (--no-initial-scan), answers their senders, and keeps /lang, captions and old buttons', async () => {
    served = await start();
    telegram.text(RU, '/lang ru');
    await until(() => texts(RU).includes('Ваши фото подписываются на: ru.'), '/lang ru');
    for (let i = 0; i < 3; i++)
      telegram.send({ from: RU, fileId: `ru${i}`, name: `IMG_10${i}.jpg`, bytes: jpeg(i), caption: 'Lisbon, tram 28' });
    await until(() => texts(RU).filter((t) => t.startsWith('⏳')).length === 3, 'three status messages');
    const watched = [3, 4, 5].map((i) => {
      const file = path.join(inbox(), `w${i}.jpg`);
      fs.writeFileSync(file, jpeg(i));
      return file;
    });
    await until(() => calls('sendDocument', RU).length >= 1, 'the first answer');
    await new Promise((r) => setTimeout(r, 700)); // the watched photos have held still and are queued
    await stop();
    const answeredBefore = calls('sendDocument', RU).length;
    expect(answeredBefore).toBeLessThan(3); // some were still queued: that is the point

    // An old download past telegram.retentionDays (30) goes at the next start; a recent one stays.
    const userInbox = path.join(data(), 'telegram', String(RU));
    const old = path.join(userInbox, '1000-old.jpg');
    fs.writeFileSync(old, jpeg(0));
    const longAgo = Date.now() / 1000 - 40 * 86_400;
    fs.utimesSync(old, longAgo, longAgo);

    served = await start();
    await until(() => calls('sendDocument', RU).length === 3, 'every Telegram photo answered after the restart', 60_000);
    const tagged = async (file: string) => String((await readTags(file))['XMP-dc:Title'] ?? '');
    const deadline = Date.now() + 30_000;
    for (const file of watched) {
      while (!(await tagged(file)).startsWith('Photo') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await tagged(file)).toMatch(/^Photo \d+x\d+$/);
    }
    // Each photo answered once: its status message says done (in Russian), one document each.
    expect(
      edits(RU)
        .filter((t) => t.endsWith(': готово'))
        .sort(),
    ).toEqual(['✅ IMG_100.jpg: готово', '✅ IMG_101.jpg: готово', '✅ IMG_102.jpg: готово']);
    expect(
      calls('sendDocument', RU)
        .map((c) => (c.body.document as { name: string }).name)
        .sort(),
    ).toEqual(['IMG_100.jpg', 'IMG_101.jpg', 'IMG_102.jpg']);
    // Tagged exactly as asked, before and after the restart: in Russian only, with the caption.
    const asked = fake.state.calls.filter((c: { prompt?: string }) => c.prompt?.includes('Lisbon, tram 28'));
    expect(asked.map((c: { languages: string[] }) => c.languages)).toEqual([['ru'], ['ru'], ['ru']]);
    const returned = path.join(dir, 'returned.jpg');
    fs.writeFileSync(returned, (calls('sendDocument', RU).at(-1)!.body.document as { bytes: Buffer }).bytes);
    expect(String((await readTags(returned))['XMP-dc:Title'])).toMatch(/^Фото \d+x\d+$/);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.readdirSync(userInbox).filter((f) => f.endsWith('.jpg'))).toHaveLength(3);

    // The Regenerate button of an answer sent before the restart still works, with the caption and /lang.
    const firstAnswer = calls('sendMessage', RU).find((c) => c.body.reply_markup)!;
    const [regen] = (firstAnswer.body.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard[0]!.map(
      (b) => b.callback_data,
    );
    const modelCalls = fake.state.calls.length;
    telegram.press(RU, regen!);
    await until(() => calls('sendDocument', RU).length === 4, 'the regenerated photo');
    expect(texts(RU)).not.toContain('Этого фото здесь больше нет.');
    expect(fake.state.calls.length).toBe(modelCalls + 1);
    expect(fake.state.calls.at(-1)).toMatchObject({ languages: ['ru'] });
    expect(fake.state.calls.at(-1)!.prompt).toContain('Lisbon, tram 28');
    // Someone else's button does nothing to that photo.
    telegram.press(EN, regen!);
    await until(() => texts(EN).includes('That photo is no longer here.'), 'a refusal for another user');
  }, 120_000);

  it('/retry tags a failed photo exactly as first asked (its /lang and caption), and failures, /status, /stats, /settings, unknown commands and text are answered in Russian', async () => {
    telegram.text(EN, '/lang ru');
    await until(() => texts(EN).includes('Ваши фото подписываются на: ru.'), '/lang ru');
    fake.push({ type: 'http', status: 418, message: 'I am a teapot' });
    telegram.send({ from: EN, fileId: 'porto', name: 'porto.jpg', bytes: jpeg(1), caption: 'Porto, the bridge' });
    await until(() => edits(EN).some((t) => t.startsWith('❌ porto.jpg')), 'the failure');
    expect(edits(EN).find((t) => t.startsWith('❌ porto.jpg'))).toBe('❌ porto.jpg: ошибка провайдера модели');
    telegram.text(EN, '/lang en'); // a later /lang does not change what this photo was asked with
    await until(() => texts(EN).includes('Photos you send are tagged in: en.'), '/lang en');
    telegram.text(EN, '/retry');
    await until(() => calls('sendDocument', EN).length === 1, 'the retried photo');
    expect(fake.state.calls.at(-1)).toMatchObject({ languages: ['ru'] });
    expect(fake.state.calls.at(-1)!.prompt).toContain('Porto, the bridge');

    const before = texts(RU).length;
    for (const text of ['/status', '/stats', '/settings', '/frobnicate', 'hello there', '/help']) telegram.text(RU, text);
    await until(() => texts(RU).length >= before + 6, 'six answers'); // a batch of updates is handled concurrently
    const answers = texts(RU);
    expect(answers.some((t) => /^Очередь: \d+ ждут, \d+ в работе\.$/u.test(t))).toBe(true);
    expect(answers.some((t) => /^Вы \(30 дней\): готово \d+, с ошибкой \d+\./u.test(t))).toBe(true);
    expect(answers.some((t) => t.startsWith('Ваши фото подписываются на: ru (изменить: /lang).') && t.includes('30 дн.'))).toBe(true);
    expect(answers).toContain('Такой команды я не знаю. /help — список команд.');
    expect(answers).toContain('Пришлите фото файлом (📎 → Файл), и я его подпишу. Подробнее: /help.');
    expect(answers.some((t) => t.includes('Присланные файлы хранятся на сервере 30 дн.'))).toBe(true);
  });
});
