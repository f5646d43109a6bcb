import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutPaths } from '../../src/daemon/telegram.js';
import { closeTestExifTool, CORPUS, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startFakeTelegram } from '../support/fake-telegram.mjs';
import { startServe, type Served } from '../support/serve.js';

// The bot at the edges: Telegram not there yet at start, a relative --data-dir, a file whose declared size
// lies, a stranger who keeps writing, a reason that would show a server path.
const TOKEN = '123456:ABC-edges-bot-token';
const OWNER = 9001;
const STRANGER = 9666;
type Call = { method: string; body: Record<string, unknown> & { text?: string } };
let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;
let telegram: Awaited<ReturnType<typeof startFakeTelegram>> | undefined;
let dir: string;
let served: Served;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const calls = (method: string, chat: number): Call[] =>
  (telegram?.state.calls ?? []).filter((c: Call) => c.method === method && Number(c.body.chat_id) === chat);
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (served.child.exitCode !== null) throw new Error(`phototag serve exited while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let port: number;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-tg-edges-');
  port = await freePort(); // nothing listens there yet: the Bot API is unreachable when serve starts
  fs.writeFileSync(
    path.join(dir, 'phototag.config.json'),
    JSON.stringify({
      provider: 'openai',
      baseUrl: fake.url,
      model: 'fake/vision',
      rpm: 0,
      telegram: { allowedUsers: [OWNER], apiRoot: `http://127.0.0.1:${port}`, maxFileMb: 0.5 },
    }),
  );
  served = await startServe(
    ['--config', 'phototag.config.json', '--data-dir', 'rel-data'],
    { HOME: dir, PHOTOTAG_API_KEY: 'sk-edges', TELEGRAM_BOT_TOKEN: TOKEN },
    { cwd: dir },
  );
});
afterAll(async () => {
  served.child.kill('SIGTERM');
  await served.exit;
  await telegram?.close();
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the Telegram bot at the edges', () => {
  it('starts without the Bot API, says so in /readyz, connects when it comes, and answers with a relative --data-dir', async () => {
    const ready = async () => {
      const response = await fetch(new URL('/readyz', served.url));
      return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
    };
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body.checks.telegram).toMatch(/cannot reach the Bot API|connecting/u);
    expect(JSON.stringify(down.body)).not.toContain(TOKEN);

    telegram = await startFakeTelegram(TOKEN, { port });
    await until(async () => (await ready()).status === 200, 'the bot to connect');
    expect((await ready()).body.checks.telegram).toBe('long polling');

    telegram.send({
      from: OWNER,
      fileId: 'small',
      name: 'small.jpg',
      bytes: fs.readFileSync(path.join(CORPUS, 'jpeg/htc-desire-gps.jpg')),
    });
    await until(() => calls('sendDocument', OWNER).length === 1, 'the answer');
    expect(fs.readdirSync(path.join(dir, 'rel-data', 'telegram', String(OWNER))).some((f) => f.endsWith('-small.jpg'))).toBe(true);
  }, 90_000);

  it('stops a download at maxFileMb of real bytes whatever size was declared, and keeps nothing of it', async () => {
    const modelCalls = fake.state.calls.length;
    const big = Buffer.concat([fs.readFileSync(path.join(CORPUS, 'jpeg/fujifilm-finepix2650.jpg')), Buffer.alloc(600 * 1024)]);
    telegram!.send({ from: OWNER, fileId: 'liar', name: 'liar.jpg', bytes: big, size: 1000 });
    await until(
      () => calls('sendMessage', OWNER).some((c) => c.body.text === 'liar.jpg is larger than 0.5 MB; I stopped downloading it.'),
      'the refusal',
    );
    expect(fs.readdirSync(path.join(dir, 'rel-data', 'telegram', String(OWNER))).filter((f) => f.includes('liar'))).toEqual([]);
    expect(fake.state.calls.length).toBe(modelCalls);
  });

  it('refuses a stranger once, then stays silent', async () => {
    for (let i = 0; i < 5; i++) telegram!.text(STRANGER, `hello ${i}`);
    await until(() => calls('sendMessage', STRANGER).length === 1, 'the refusal');
    await new Promise((r) => setTimeout(r, 1500));
    expect(calls('sendMessage', STRANGER)).toHaveLength(1);
  });

  it('never shows a server path in a reason', () => {
    const file = '/var/lib/phototag/telegram/9001/1733-IMG_1.jpg';
    expect(withoutPaths(`cannot read ${file}: EACCES`, file, 'IMG_1.jpg')).toBe('cannot read IMG_1.jpg: EACCES');
    expect(withoutPaths('exiftool: Error opening /tmp/exiftool-x/some.tmp (read-only)', file, 'IMG_1.jpg')).toBe(
      'exiftool: Error opening some.tmp (read-only)',
    );
    expect(withoutPaths('image/jpeg is fine, en/ru too', file, 'IMG_1.jpg')).toBe('image/jpeg is fine, en/ru too');
  });
});
