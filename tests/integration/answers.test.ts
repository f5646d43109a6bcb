import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, exiv2, list, readTags, tempDirs, testExifTool } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { tagFiles } from '../support/harness.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const workDir = tempDirs();

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  fake.state.script.length = 0;
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

/** Wait (bounded) until the fake has received `count` chat calls. */
async function callsReach(count: number): Promise<void> {
  for (let i = 0; i < 200 && fake.state.calls.length < count; i++) await new Promise((r) => setTimeout(r, 50));
  expect(fake.state.calls.length).toBeGreaterThanOrEqual(count);
}

/** Payload sizes of the APP1 segments holding EXIF (an independent look at the JPEG's structure). */
function exifSegments(file: string): number[] {
  const data = fs.readFileSync(file);
  const sizes: number[] = [];
  let i = 2;
  while (i + 4 <= data.length && data[i] === 0xff && data[i + 1] !== 0xda) {
    const length = data.readUInt16BE(i + 2);
    if (data[i + 1] === 0xe1 && data.toString('latin1', i + 4, i + 10) === 'Exif\0\0') sizes.push(length - 2);
    i += 2 + length;
  }
  return sizes;
}

describe("a person's edit made while the model thinks", () => {
  it.each([
    ['by default', false],
    ['even with --overwrite', true],
  ])(
    'is kept %s: the plan is made again from the new metadata, their title stays and their keyword joins the AI ones',
    async (_, overwrite) => {
      const dir = workDir();
      const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
      let release!: () => void;
      const hold = new Promise<void>((resolve) => (release = resolve));
      fake.push({ type: 'ok', hold });
      const calls = fake.state.calls.length;
      const running = tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), overwrite });
      try {
        await callsReach(calls + 1);
        // Written by another program while the answer is on its way.
        await testExifTool().write(
          photo!,
          {},
          {
            writeArgs: [
              '-XMP-dc:Title=Grandma at the lake',
              '-XMP-dc:Subject+=grandma',
              '-IPTC:Keywords+=grandma',
              '-IPTC:CodedCharacterSet=UTF8',
              '-overwrite_original',
            ],
          },
        );
      } finally {
        release();
      }
      const { outcomes } = await running;
      expect(outcomes.get(photo!)?.status).toBe('done');
      const tags = await readTags(photo!);
      expect(tags['XMP-dc:Title']).toBe('Grandma at the lake');
      expect(tags['IPTC:ObjectName']).toBeUndefined();
      expect(list(tags['XMP-dc:Subject'])[0]).toBe('grandma');
      expect(list(tags['XMP-dc:Subject'])).toContain('landscape');
      expect(list(tags['IPTC:Keywords'])).toEqual(list(tags['XMP-dc:Subject']));
      expect(tags['XMP-dc:Description']).toBe('A photograph of width 858x570.');
    },
  );
});

describe('nothing unbounded or invisible reaches a photo', () => {
  it('a 100 KB title and a 300 KB description are capped; EXIF stays one segment and exiv2 still reads the maker notes and thumbnail', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['jpeg/olympus-pen-e-p3.jpg']);
    const makerNotes = (exiv2(photo!).match(/^Exif\.Olympus/gmu) ?? []).length;
    expect(makerNotes).toBeGreaterThan(50);
    const sizeBefore = fs.statSync(photo!).size;
    fake.push({ type: 'ok', title: 'Lake '.repeat(20_000), description: 'A calm lake at dawn. '.repeat(15_000) });
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(photo!)?.status).toBe('done');
    const tags = await readTags(photo!);
    expect(String(tags['XMP-dc:Title']).length).toBeLessThanOrEqual(200);
    expect(String(tags['XMP-dc:Title'])).toMatch(/^Lake Lake/u);
    expect(String(tags['XMP-dc:Description']).length).toBeLessThanOrEqual(2000);
    expect(String(tags['IFD0:ImageDescription']).length).toBeLessThanOrEqual(2000);
    expect(exifSegments(photo!)).toHaveLength(1);
    const independent = exiv2(photo!);
    expect((independent.match(/^Exif\.Olympus/gmu) ?? []).length).toBe(makerNotes);
    expect(independent).toMatch(/^Exif\.Thumbnail\.JPEGInterchangeFormat\s/mu);
    expect(fs.statSync(photo!).size).toBeLessThan(sizeBefore + 16 * 1024);
  });

  it('a description that would overflow a nearly full EXIF segment is shortened there (XMP keeps it), with a warning', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['jpeg/olympus-pen-e-p3.jpg']);
    // A camera note that leaves about 3 KB of the 64 KB EXIF segment free.
    await testExifTool().write(photo!, {}, { writeArgs: [`-ExifIFD:UserComment=${'u'.repeat(44_500)}`, '-overwrite_original'] });
    expect(exifSegments(photo!)).toHaveLength(1);
    const description = 'Тихое озеро на рассвете, лодка у берега. '.repeat(60);
    fake.push({ type: 'ok', description });
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    const outcome = outcomes.get(photo!)!;
    expect(outcome.status).toBe('done');
    expect(outcome.warnings?.join(' ')).toMatch(/EXIF ImageDescription (shortened|not written)/u);
    expect(exifSegments(photo!)).toHaveLength(1);
    const tags = await readTags(photo!);
    expect(String(tags['XMP-dc:Description']).length).toBeGreaterThan(1900);
    expect(String(tags['IFD0:ImageDescription'] ?? '').length).toBeLessThan(String(tags['XMP-dc:Description']).length);
    expect((exiv2(photo!).match(/^Exif\.Olympus/gmu) ?? []).length).toBeGreaterThan(50);
  });

  it('a 10 MB description never turns a small JPEG into a big one', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
    const sizeBefore = fs.statSync(photo!).size;
    fake.push({ type: 'ok', description: 'word '.repeat(2 * 1024 * 1024) });
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), maxAttempts: 1 });
    // Capped, or refused whole by the response size cap: either way the photo stays about its size.
    expect(['done', 'failed']).toContain(outcomes.get(photo!)?.status);
    expect(fs.statSync(photo!).size).toBeLessThan(sizeBefore + 16 * 1024);
    const description = (await readTags(photo!))['XMP-dc:Description'];
    if (description !== undefined) expect(String(description).length).toBeLessThanOrEqual(2000);
  });

  it('control, zero-width, bidi-override characters and U+FFFD are stripped; an invisible keyword is never written', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
    fake.push({
      type: 'ok',
      title: 'Evil\u202Egnp.exe\u0000 lake\u200B at\u0007 dawn\uFFFD',
      description: 'Line one.\nLine\u0001 two\u2066 isolated\u2069.',
      keywords: ['\u200B', '\u202E', '\u2066\u2069', '\u3164', 'lake\u200D', 'boat\u0000', 'emoji 👩\u200D💻'],
    });
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(photo!)?.status).toBe('done');
    const tags = await readTags(photo!);
    expect(tags['XMP-dc:Title']).toBe('Evilgnp.exe lake at dawn');
    expect(tags['XMP-dc:Description']).toBe('Line one. Line two isolated.');
    expect(list(tags['XMP-dc:Subject'])).toEqual(['lake', 'boat', 'emoji 👩\u200D💻']);
    expect(list(tags['IPTC:Keywords'])).toEqual(['lake', 'boat', 'emoji 👩\u200D💻']);
  });
});
