import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FatalError } from '../../src/core/errors.js';
import { computeStats } from '../../src/core/stats.js';
import { Store } from '../../src/core/store.js';
import { closeTestExifTool, copyCorpus, readTags, sha256, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { tagFiles } from '../support/harness.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  fake.state.script.length = 0;
  fs.rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

function photo(name = 'jpeg/olympus-pen-e-p3.jpg'): string {
  dir = tempDir();
  return copyCorpus(dir, [name])[0]!;
}

const fast = { maxAttempts: 3 } as const;

describe('provider faults', () => {
  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    const file = photo();
    const start = fake.state.calls.length;
    fake.push({ type: 'http', status: 429, retryAfter: '1' });
    const { outcomes } = await tagFiles([file], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), ...fast });
    expect(outcomes.get(file)?.status).toBe('done');
    const [first, second] = fake.state.calls.slice(start);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries a 500 and an HTTP 200 that carries an error', async () => {
    const file = photo();
    fake.push({ type: 'http', status: 500, retryAfter: '0' }, { type: 'error-200', code: 502, message: 'Provider returned error' });
    const { outcomes } = await tagFiles([file], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), ...fast });
    expect(outcomes.get(file)?.status).toBe('done');
  });

  it('gives up after --max-attempts transient failures and leaves the photo untouched', async () => {
    const file = photo();
    const hash = sha256(file);
    fake.push(...Array.from({ length: 2 }, () => ({ type: 'http' as const, status: 503, retryAfter: '0' })));
    const { outcomes, summary } = await tagFiles([file], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), maxAttempts: 2 });
    expect(summary.failed).toBe(1);
    expect(outcomes.get(file)).toMatchObject({ status: 'failed', errorKind: 'transient' });
    expect(outcomes.get(file)?.reason).toContain('HTTP 503');
    expect(sha256(file)).toBe(hash);
  });

  it('times out a model that never answers', async () => {
    const file = photo();
    fake.push({ type: 'hang' }, { type: 'hang' });
    const { outcomes } = await tagFiles([file], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), timeoutSeconds: 1, maxAttempts: 2 });
    expect(outcomes.get(file)).toMatchObject({
      status: 'failed',
      errorKind: 'transient',
      reason: 'fake/vision: the model did not answer in time',
    });
  });

  it('accepts answers in a code fence, wrapped in prose, or after a reasoning block', async () => {
    const dirFiles = photo();
    const files = [dirFiles, ...copyCorpus(dir, ['jpeg/htc-desire-gps.jpg', 'jpeg/nikon-d5000.jpg'])];
    fake.push({ type: 'fenced' }, { type: 'prose' }, { type: 'reasoning' });
    const { summary } = await tagFiles(files, {
      baseUrl: fake.url,
      dataDir: path.join(dir, 'data'),
      concurrency: 1,
      languages: ['en', 'ru'],
    });
    expect(summary.done).toBe(3);
  });

  it('repairs malformed JSON with one more call', async () => {
    const file = photo();
    const start = fake.state.calls.length;
    fake.push({ type: 'malformed' });
    const { outcomes } = await tagFiles([file], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(file)?.status).toBe('done');
    expect(fake.state.calls.length - start).toBe(2);
  });

  it('never writes output that is still invalid after the repair', async () => {
    const file = photo();
    const hash = sha256(file);
    fake.push({ type: 'invalid' }, { type: 'invalid' });
    const { outcomes } = await tagFiles([file], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(file)).toMatchObject({ status: 'failed', errorKind: 'invalid-output' });
    expect(outcomes.get(file)?.reason).toMatch(/unusable answer after a repair request: "en": (title|description)/);
    expect(sha256(file)).toBe(hash);
  });

  it.each([
    [401, /refused the API key/],
    [402, /no credit left/],
  ])('stops the whole run at once on %i, with no secret in the message', async (status, message) => {
    const file = photo();
    const others = copyCorpus(dir, ['jpeg/htc-desire-gps.jpg', 'jpeg/nikon-d5000.jpg', 'jpeg/fujifilm-finepix2650.jpg']);
    const start = fake.state.calls.length;
    fake.push({ type: 'http', status, message: 'Invalid key sk-test-secret-123456' });
    const { summary } = await tagFiles([file, ...others], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), concurrency: 1 });
    expect(summary.fatal).toBeInstanceOf(FatalError);
    expect(summary.stopped).toMatch(message);
    expect(summary.stopped).not.toContain('sk-test-secret-123456');
    expect(summary.done).toBe(0);
    expect(fake.state.calls.length - start).toBe(1);
    expect(fake.state.calls[start]!.auth).toBe('Bearer sk-test-secret-123456');
  });
});

describe('model auto', () => {
  it('picks a free vision model, falls back to the next on 404, and caches the list', async () => {
    const file = photo();
    const lists = fake.state.modelListRequests;
    const start = fake.state.calls.length;
    fake.push({ type: 'http', status: 404, message: 'No endpoints found' });
    const data = path.join(dir, 'data');
    const { outcomes } = await tagFiles([file], { baseUrl: fake.url, dataDir: data, provider: 'openrouter', model: 'auto' });
    expect(outcomes.get(file)?.status).toBe('done');
    const models = fake.state.calls.slice(start).map((c) => c.model);
    expect(models).toEqual(['free/vision-a:free', 'free/vision-b:free']);
    expect(outcomes.get(file)?.model).toBe('free/vision-b:free');
    expect(fake.state.modelListRequests - lists).toBe(1);
    // The switch is recorded in the database when it happens (stats and metrics count the same ones).
    const store = Store.inDataDir(data);
    expect(computeStats(store).modelSwitches).toEqual([{ from: 'free/vision-a:free', to: 'free/vision-b:free', count: 1 }]);
    store.close();

    const [second] = copyCorpus(dir, ['jpeg/htc-desire-gps.jpg']);
    await tagFiles([second!], { baseUrl: fake.url, dataDir: data, provider: 'openrouter', model: 'auto' });
    expect(fake.state.modelListRequests - lists).toBe(1);
    // The model that answered before is tried first now.
    expect(fake.state.calls.at(-1)!.model).toBe('free/vision-b:free');
  });
});

describe('Ollama', () => {
  it('with --model auto uses the installed model that has the vision capability, no key needed', async () => {
    const file = photo();
    const start = fake.state.calls.length;
    const { outcomes } = await tagFiles([file], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), provider: 'ollama', model: 'auto' });
    expect(outcomes.get(file)?.status).toBe('done');
    expect(fake.state.calls.slice(start).map((c) => c.model)).toEqual(['qwen2.5vl:7b']);
  });
});

describe('bad input', () => {
  it('reports each bad file on its own and goes on with the rest', async () => {
    dir = tempDir();
    const good = copyCorpus(dir, ['jpeg/htc-desire-gps.jpg'])[0]!;
    const [truncated, png, readOnly] = copyCorpus(dir, [
      'broken/truncated-jpeg-100x100.jpg',
      'broken/truncated.png',
      ['jpeg/nikon-d5000.jpg', 'read-only.jpg'],
    ]);
    const pdf = path.join(dir, 'scan.pdf');
    fs.writeFileSync(pdf, '%PDF-1.4\n%%EOF\n');
    fs.chmodSync(readOnly!, 0o444);
    const empty = path.join(dir, 'empty.jpg');
    fs.writeFileSync(empty, '');
    const text = path.join(dir, 'notes.jpg');
    fs.writeFileSync(text, 'this is not a photo\n');
    const folder = path.join(dir, 'folder.jpg');
    fs.mkdirSync(folder);
    const bomb = path.join(dir, 'bomb.png');
    fs.writeFileSync(bomb, decompressionBomb());
    const missing = path.join(dir, 'missing.jpg');
    const bad = [truncated!, png!, pdf, readOnly!, empty, text, folder, bomb, missing];
    const hashes = new Map(bad.filter((f) => fs.existsSync(f) && fs.statSync(f).isFile()).map((f) => [f, sha256(f)]));

    const { summary, outcomes } = await tagFiles([...bad, good], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(summary).toMatchObject({ done: 1, failed: bad.length });
    const reason = (f: string) => `${outcomes.get(f)?.errorKind}: ${outcomes.get(f)?.reason}`;
    expect(reason(truncated!)).toBe(
      'corrupt: cannot decode image: the file is truncated or damaged (VipsJpeg: premature end of JPEG image)',
    );
    expect(reason(png!)).toMatch(/^corrupt: cannot decode image/);
    expect(reason(pdf)).toBe('unsupported: unsupported format (PDF)');
    expect(reason(readOnly!)).toBe('read-only: file is read-only');
    expect(reason(empty)).toBe('corrupt: empty file (0 bytes)');
    expect(reason(text)).toBe('unsupported: unsupported format (TXT)');
    expect(reason(folder)).toMatch(/^unsupported: is a directory/);
    expect(reason(bomb)).toMatch(/^corrupt: image too large to decode safely|^corrupt: cannot decode image: .*pixel limit/);
    expect(reason(missing)).toBe('missing: no such file');
    for (const [file, hash] of hashes) expect(sha256(file)).toBe(hash);
    expect((await readTags(good))['XMP-dc:Title']).toBe('Photo 776x909');
  });

  it('handles names with spaces, quotes, Cyrillic and a leading dash', async () => {
    dir = tempDir();
    const names = ['with space.jpg', `quote's "double".jpg`, 'фото отпуска.jpg', '-leading-dash.jpg'];
    const files = copyCorpus(
      dir,
      names.map((n) => ['jpeg/htc-desire-gps.jpg', n] as [string, string]),
    );
    const { summary } = await tagFiles(files, { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(summary.done).toBe(names.length);
    for (const file of files) expect((await readTags(file))['XMP-dc:Title']).toBe('Photo 776x909');
  });
});

/** A valid 1-pixel-row PNG header that declares 60000×60000 pixels: tiny file, huge image. */
function decompressionBomb(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(60000, 0);
  ihdr.writeUInt32BE(60000, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
