import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { startFakeTelegram } from '../support/fake-telegram.mjs';
import { startServe, type Served } from '../support/serve.js';

const TOKEN = '654321:XYZ-webhook-bot-token';
const OWNER = 4242;
let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;
let telegram: Awaited<ReturnType<typeof startFakeTelegram>>;
let dir: string;
let served: Served;
let port: number;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return free;
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  telegram = await startFakeTelegram(TOKEN);
  dir = tempDir('phototag-webhook-');
  port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'phototag.config.json'),
    JSON.stringify({
      provider: 'openai',
      baseUrl: fake.url,
      model: 'fake/vision',
      rpm: 0,
      telegram: {
        allowedUsers: [OWNER],
        apiRoot: telegram.apiRoot,
        webhook: { url: 'https://photos.example.org', port, path: '/tg-hook' },
      },
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
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the Telegram bot in webhook mode', () => {
  it('registers its webhook with a secret, refuses unsigned posts, and answers signed updates', async () => {
    expect(telegram.state.webhook.url).toBe('https://photos.example.org/tg-hook');
    expect(telegram.state.webhook.secret).toMatch(/^[0-9a-f]{48}$/);
    const unsigned = await fetch(`http://127.0.0.1:${port}/tg-hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"update_id": 1}',
    });
    expect(unsigned.status).toBe(403);

    telegram.state.webhookLocal = `http://127.0.0.1:${port}/tg-hook`;
    telegram.send({ from: OWNER, fileId: 'w1', name: 'hook.jpg', bytes: fs.readFileSync(path.join(CORPUS, 'jpeg/htc-desire-gps.jpg')) });
    const deadline = Date.now() + 20_000;
    while (!telegram.state.calls.some((c: { method: string }) => c.method === 'sendDocument') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(telegram.state.calls.filter((c: { method: string }) => c.method === 'sendDocument')).toHaveLength(1);
    expect(telegram.state.polls).toBe(0); // webhook mode: no long polling
  });
});
