import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, exiv2, tempDir, testExifTool } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { tagFiles } from '../support/harness.js';

// Stock profiles write the title also as IPTC:Headline and XMP-photoshop:Headline (many agencies' importers read
// Headline when ObjectName is absent), filling it only where it is empty, like every field.

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-headline-');
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function headlines(file: string): Promise<{ iptc?: unknown; xmp?: unknown; objectName?: unknown }> {
  const tags = (await testExifTool().readRaw(file, {
    readArgs: ['-G1', '-a', '-IPTC:Headline', '-IPTC:ObjectName', '-XMP-photoshop:Headline'],
  })) as Record<string, unknown>;
  return { iptc: tags['IPTC:Headline'], xmp: tags['XMP-photoshop:Headline'], objectName: tags['IPTC:ObjectName'] };
}

const TITLE = 'Crème brûlée on a café terrace';

describe('Headline under the stock profiles', () => {
  it('adobe-stock writes the title as IPTC and XMP Headline, read back by ExifTool and exiv2; generic does not', async () => {
    const [stock, generic] = copyCorpus(dir, [
      ['jpeg/nikon-d5000.jpg', 'stock.jpg'],
      ['jpeg/nikon-d5000.jpg', 'generic.jpg'],
    ]);
    fake.push({ type: 'ok', title: TITLE });
    const run = await tagFiles([stock!], { baseUrl: fake.url, dataDir: path.join(dir, 'data-a'), profile: 'adobe-stock', concurrency: 1 });
    expect(run.outcomes.get(stock!)?.status).toBe('done');
    expect(run.outcomes.get(stock!)?.fieldsWritten).toEqual(expect.arrayContaining(['IPTC:Headline', 'XMP-photoshop:Headline']));
    expect(await headlines(stock!)).toEqual({ iptc: TITLE, xmp: TITLE, objectName: TITLE });
    const independent = exiv2(stock!);
    expect(independent).toMatch(new RegExp(`Iptc\\.Application2\\.Headline\\s+String\\s+\\d+\\s+${TITLE}`));
    expect(independent).toMatch(new RegExp(`Xmp\\.photoshop\\.Headline\\s+XmpText\\s+\\d+\\s+${TITLE}`));

    fake.push({ type: 'ok', title: TITLE });
    await tagFiles([generic!], { baseUrl: fake.url, dataDir: path.join(dir, 'data-b'), concurrency: 1 });
    expect(await headlines(generic!)).toEqual({ iptc: undefined, xmp: undefined, objectName: TITLE });
  });

  it('keeps a Headline someone wrote unless --overwrite', async () => {
    const [kept, replaced] = copyCorpus(dir, [
      ['jpeg/htc-desire-gps.jpg', 'kept.jpg'],
      ['jpeg/htc-desire-gps.jpg', 'replaced.jpg'],
    ]);
    for (const file of [kept!, replaced!]) {
      await testExifTool().write(
        file,
        { 'IPTC:Headline': 'My own headline', 'XMP-photoshop:Headline': 'My own headline', 'IPTC:CodedCharacterSet': 'UTF8' } as never,
        { writeArgs: ['-overwrite_original'] },
      );
    }
    fake.push({ type: 'ok', title: TITLE });
    await tagFiles([kept!], { baseUrl: fake.url, dataDir: path.join(dir, 'data-c'), profile: 'adobe-stock', concurrency: 1 });
    expect(await headlines(kept!)).toEqual({ iptc: 'My own headline', xmp: 'My own headline', objectName: TITLE });

    fake.push({ type: 'ok', title: TITLE });
    await tagFiles([replaced!], {
      baseUrl: fake.url,
      dataDir: path.join(dir, 'data-d'),
      profile: 'adobe-stock',
      overwrite: true,
      concurrency: 1,
    });
    expect(await headlines(replaced!)).toEqual({ iptc: TITLE, xmp: TITLE, objectName: TITLE });
  });
});
