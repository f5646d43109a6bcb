import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, exiv2, list, readTags, sha256, tempDirs } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { tagFiles } from '../support/harness.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const workDir = tempDirs();

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

describe('tagging real photos in English and Russian', () => {
  it('writes lang-alt XMP, UTF-8 IPTC and EXIF that ExifTool and exiv2 both read, pixels untouched, nothing left behind', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['jpeg/olympus-pen-e-p3.jpg']);
    const before = await readTags(photo!);
    const { summary, outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), languages: ['en', 'ru'] });
    expect(summary).toMatchObject({ done: 1, failed: 0 });
    expect(outcomes.get(photo!)?.status).toBe('done');

    const tags = await readTags(photo!);
    expect(tags['XMP-dc:Title']).toBe('Photo 1024x768');
    expect(tags['XMP-dc:Title-ru']).toBe('Фото 1024x768');
    expect(tags['XMP-dc:Description-ru']).toBe('Фотография шириной 1024x768.');
    expect(tags['IPTC:CodedCharacterSet']).toBe('UTF8');
    expect(tags['IPTC:ObjectName']).toBe('Photo 1024x768');
    expect(tags['IPTC:Caption-Abstract']).toBe('A photograph of width 1024x768.');
    expect(tags['IFD0:ImageDescription']).toBe('A photograph of width 1024x768.');
    // Keywords of both languages, deduplicated case-insensitively ("Landscape" and "Пейзаж" dropped).
    const keywords = ['landscape', 'outdoor', 'travel', 'nature', '1024x768', 'пейзаж', 'природа', 'путешествие'];
    expect(list(tags['XMP-dc:Subject'])).toEqual(keywords);
    expect(list(tags['IPTC:Keywords'])).toEqual(keywords);
    expect(list(tags['XMP-lr:HierarchicalSubject'])).toEqual(keywords);
    expect(tags['File:ImageDataHash']).toBe(before['File:ImageDataHash']);

    const independent = exiv2(photo!);
    expect(independent).toMatch(/Xmp\.dc\.title\s+LangAlt\s+\d+\s+lang="x-default" Photo 1024x768, lang="ru" Фото 1024x768/);
    expect(independent).toMatch(/Iptc\.Application2\.Keywords\s+String\s+\d+\s+путешествие/);
    expect(independent).toMatch(/Iptc\.Application2\.ObjectName\s+String\s+\d+\s+Photo 1024x768/);
    expect(independent).toMatch(/Exif\.Image\.ImageDescription\s+Ascii\s+\d+\s+A photograph of width 1024x768\./);

    expect(fs.readdirSync(dir).sort()).toEqual(['data', 'olympus-pen-e-p3.jpg']);
  });

  it('sends each photo upright and small, one call per photo, and never mixes up concurrent photos', async () => {
    const dir = workDir();
    const calls = fake.state.calls.length;
    const expected: Record<string, string> = {
      'canon-eos1000d-orientation6-3888x2592.jpg': '683x1024', // EXIF orientation 6: portrait
      'canon-powershot-a85-orientation8.jpg': '1024x768', // stored 1704×2272, orientation 8 turns it landscape
      'apple-iphone6-gps-3264x2448.jpg': '1024x768',
      'htc-desire-gps.jpg': '776x909',
      'nikon-d5000.jpg': '858x570', // smaller than 1024: never enlarged
      'sony-dsc-hx5v-gps.jpg': '730x547',
    };
    const files = copyCorpus(
      dir,
      Object.keys(expected).map((name) => `jpeg/${name}`),
    );
    const { summary, outcomes } = await tagFiles(files, { baseUrl: fake.url, dataDir: path.join(dir, 'data'), concurrency: 4 });
    expect(summary.done).toBe(files.length);
    for (const file of files) {
      const dims = expected[path.basename(file)]!;
      expect(outcomes.get(file)?.title).toBe(`Photo ${dims}`);
      expect((await readTags(file))['XMP-dc:Title']).toBe(`Photo ${dims}`);
    }
    const made = fake.state.calls.slice(calls);
    expect(made).toHaveLength(files.length);
    for (const call of made) {
      expect(Math.max(call.width!, call.height!)).toBeLessThanOrEqual(1024);
      expect(call.imageBytes).toBeLessThanOrEqual(300 * 1024);
    }
  });

  it('a second run makes no model call; a copy of the same photo comes from the cache', async () => {
    const dir = workDir();
    const data = path.join(dir, 'data');
    const [photo] = copyCorpus(dir, ['jpeg/fujifilm-finepix2650.jpg']);
    await tagFiles([photo!], { baseUrl: fake.url, dataDir: data });
    const calls = fake.state.calls.length;
    const again = await tagFiles([photo!], { baseUrl: fake.url, dataDir: data });
    expect(again.outcomes.get(photo!)).toMatchObject({ status: 'skipped', reason: 'unchanged since it was tagged' });

    const [copy] = copyCorpus(dir, [['jpeg/fujifilm-finepix2650.jpg', 'copy of the same.jpg']]);
    const cached = await tagFiles([copy!], { baseUrl: fake.url, dataDir: data });
    expect(cached.outcomes.get(copy!)).toMatchObject({ status: 'done', cacheHit: true });
    expect((await readTags(copy!))['XMP-dc:Title']).toBe('Photo 1024x768');
    expect(fake.state.calls.length).toBe(calls);
  });
});

describe('metadata a person wrote', () => {
  it('skips a photo that already has a title, description and keywords', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['with-metadata/hubble-jupiter-iptc-xmp-caption-keywords.jpg']);
    const hash = sha256(photo!);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(photo!)?.status).toBe('skipped');
    expect(outcomes.get(photo!)?.reason).toContain('already has a title, description and keywords');
    expect(sha256(photo!)).toBe(hash);
  });

  it('with --force keeps the title and caption and adds keywords without removing any', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['with-metadata/hubble-jupiter-iptc-xmp-caption-keywords.jpg']);
    const before = await readTags(photo!);
    await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), force: true });
    const after = await readTags(photo!);
    expect(after['XMP-dc:Title']).toBe('Collision leaves giant Jupiter bruised');
    expect(after['IPTC:Caption-Abstract']).toBe(before['IPTC:Caption-Abstract']);
    expect(after['IPTC:Credit']).toBe(before['IPTC:Credit']);
    expect(list(after['XMP-dc:Subject'])[0]).toBe('Jupiter');
    expect(list(after['XMP-dc:Subject'])).toContain('landscape');
    expect(list(after['IPTC:Keywords'])).toEqual(list(after['XMP-dc:Subject']));
  });

  it('with --overwrite replaces them', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['with-metadata/hubble-jupiter-iptc-xmp-caption-keywords.jpg']);
    await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), force: true, overwrite: true });
    const after = await readTags(photo!);
    expect(after['XMP-dc:Title']).toBe('Photo 1024x819');
    expect(list(after['XMP-dc:Subject'])).not.toContain('Jupiter');
  });

  it('keeps a Latin-1 IPTC caption readable when it adds UTF-8 keywords', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['with-metadata/nikon-e995-iptc-caption-latin1-no-charset.jpg']);
    await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), languages: ['ru'] });
    const after = await readTags(photo!);
    expect(after['IPTC:CodedCharacterSet']).toBe('UTF8');
    expect(String(after['IPTC:Caption-Abstract'])).toContain('Dateigröße : 668.1 KB');
    expect(list(after['IPTC:Keywords'])).toContain('пейзаж');
    expect(exiv2(photo!)).toContain('Dateigröße');
  });

  it('writes XMP and IPTC into a photo whose EXIF ExifTool refuses to rewrite, and says EXIF was left out', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['jpeg/sony-dsc-hx5v-gps.jpg']);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    const outcome = outcomes.get(photo!)!;
    expect(outcome.status).toBe('done');
    expect(outcome.warnings?.join(' ')).toMatch(/EXIF ImageDescription not written: Bad format \(0\) for IFD0 entry 0/);
    const after = await readTags(photo!);
    expect(after['XMP-dc:Title']).toBe('Photo 730x547');
    expect(after['IPTC:ObjectName']).toBe('Photo 730x547');
  });
});

describe('formats', () => {
  it('writes HEIC, AVIF, PNG, WebP, TIFF and GIF in place, IPTC only where the format holds it', async () => {
    const dir = workDir();
    const files = copyCorpus(dir, [
      'heic/apple-iphone7plus-orientation6-gps.heic',
      'heic/hopper-no-metadata.avif',
      'png/hopper-no-exif-xmp.png',
      'webp/nikon-coolpix-p7000-exif-orientation6.webp',
      'tiff/hopper-no-metadata.tif',
      'other/hopper-no-metadata.gif',
    ]);
    const before = new Map(await Promise.all(files.map(async (f) => [f, (await readTags(f))['File:ImageDataHash']] as const)));
    const { summary, outcomes } = await tagFiles(files, { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect([...outcomes.values()].filter((o) => o.status !== 'done').map((o) => `${o.file}: ${o.reason}`)).toEqual([]);
    expect(summary.done).toBe(6);
    for (const file of files) {
      const tags = await readTags(file);
      expect(String(tags['XMP-dc:Title'])).toMatch(/^Photo \d+x\d+$/);
      expect(tags['File:ImageDataHash']).toBe(before.get(file));
      const hasIptc = Object.keys(tags).some((k) => k.startsWith('IPTC:'));
      expect(hasIptc).toBe(file.endsWith('.tif'));
    }
    // HEIC rotation comes from the container; the model sees it upright (3024×4032 → 768×1024).
    expect(outcomes.get(files[0]!)?.title).toBe('Photo 768x1024');
    expect(outcomes.get(files[3]!)?.title).toBe('Photo 768x1024');
  });

  it('writes a RAW file to a new sidecar, leaving the RAW byte-identical', async () => {
    const dir = workDir();
    const [raw] = copyCorpus(dir, ['raw/canon-eos-r6-gps-with-preview.cr3']);
    const hash = sha256(raw!);
    const { outcomes } = await tagFiles([raw!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), languages: ['en', 'ru'] });
    expect(outcomes.get(raw!)).toMatchObject({
      status: 'done',
      title: 'Photo 1024x683',
      target: path.join(dir, 'canon-eos-r6-gps-with-preview.xmp'),
    });
    expect(sha256(raw!)).toBe(hash);
    const sidecar = await readTags(path.join(dir, 'canon-eos-r6-gps-with-preview.xmp'));
    expect(sidecar['XMP-dc:Title-ru']).toBe('Фото 1024x683');
    expect(list(sidecar['XMP-dc:Subject'])).toContain('пейзаж');
  });

  it('names the sidecar photo.CR3.xmp with sidecarName ext, and merges into an existing sidecar', async () => {
    const dir = workDir();
    const [raw] = copyCorpus(dir, ['raw/canon-eos-r6-gps-with-preview.cr3']);
    await tagFiles([raw!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), sidecarName: 'ext' });
    expect(fs.existsSync(`${raw!}.xmp`)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'canon-eos-r6-gps-with-preview.xmp'))).toBe(false);

    const [photo, lightroom] = copyCorpus(dir, [
      'with-metadata/canon-eos600d-squirrel-with-sidecar.jpg',
      'with-metadata/canon-eos600d-squirrel-with-sidecar.xmp',
    ]);
    const photoHash = sha256(photo!);
    const before = await readTags(lightroom!);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), sidecar: true, force: true });
    expect(outcomes.get(photo!)).toMatchObject({ status: 'done', target: lightroom });
    expect(sha256(photo!)).toBe(photoHash);
    const after = await readTags(lightroom!);
    for (const keyword of list(before['XMP-dc:Subject'])) expect(list(after['XMP-dc:Subject'])).toContain(keyword);
    expect(list(after['XMP-dc:Subject'])).toContain('landscape');
  });

  it('fails a RAW file without a usable preview with a clear reason and writes nothing', async () => {
    const dir = workDir();
    const [raw] = copyCorpus(dir, ['raw/nikon-d70-exiftool-sample.nef']);
    const { outcomes } = await tagFiles([raw!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(raw!)).toMatchObject({ status: 'failed', errorKind: 'no-preview' });
    expect(outcomes.get(raw!)?.reason).toContain('no usable preview');
    expect(fs.readdirSync(dir).sort()).toEqual(['data', 'nikon-d70-exiftool-sample.nef']);
  });

  it('keeps the _original copy only when asked (--backup)', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['jpeg/htc-desire-gps.jpg']);
    const hash = sha256(photo!);
    await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), backup: true });
    expect(sha256(`${photo!}_original`)).toBe(hash);
  });

  it('dry run analyzes but changes nothing', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['jpeg/htc-desire-gps.jpg']);
    const hash = sha256(photo!);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), dryRun: true });
    expect(outcomes.get(photo!)).toMatchObject({ status: 'done', dryRun: true, title: 'Photo 776x909' });
    expect(outcomes.get(photo!)?.fieldsWritten).toContain('XMP-dc:Title-x-default');
    expect(sha256(photo!)).toBe(hash);
  });
});
