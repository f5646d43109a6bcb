// Real-world formats and damage (issue 10, defects 7, 8, 11, 12): files made with ImageMagick and ExifTool
// or copied from the corpus, tagged through the real pipeline against the fake model server.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatOf } from '../../src/core/formats.js';
import { closeTestExifTool, copyCorpus, list, readTags, sha256, tempDir, testExifTool } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { tagFiles } from '../support/harness.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
let n = 0;
/** A folder of its own per case, with its own database (no cached answers between cases). */
function work(): { folder: string; dataDir: string } {
  const folder = path.join(dir, `case-${++n}`);
  fs.mkdirSync(folder);
  return { folder, dataDir: path.join(folder, '.data') };
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-formats-');
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A small picture with some structure, as ImageMagick writes it in `format`. */
function picture(folder: string, name: string, ...convertArgs: string[]): string {
  const file = path.join(folder, name);
  execFileSync('convert', [
    '-size',
    '160x120',
    'gradient:skyblue-darkgreen',
    '-fill',
    'orange',
    '-draw',
    'circle 80,60 80,30',
    ...convertArgs,
    file,
  ]);
  return file;
}

/** Pixels as another decoder (ImageMagick) sees them. */
function pixelDigest(file: string): string {
  return createHash('sha256')
    .update(execFileSync('convert', [`${file}[0]`, 'rgba:-'], { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }))
    .digest('hex');
}

async function fileType(file: string): Promise<string> {
  return String((await testExifTool().readRaw(file, { readArgs: ['-File:FileType'] }))['FileType']);
}

const calls = () => fake.state.calls.length;

describe('formats ExifTool writes are tagged, judged by content (defect 7)', () => {
  it('lossless and extended lossless WebP, whose FileType carries a qualifier', async () => {
    const { folder, dataDir } = work();
    const plain = picture(folder, 'lossless.webp', '-define', 'webp:lossless=true');
    const extended = picture(folder, 'extended.webp', '-define', 'webp:lossless=true');
    execFileSync(testExifToolPath(), ['-q', '-overwrite_original', '-XMP-dc:Creator=Ana Lima', extended]);
    expect(await fileType(plain)).toBe('WEBP (lossless)');
    expect(await fileType(extended)).toBe('Extended WEBP (lossless)');
    const pixels = [pixelDigest(plain), pixelDigest(extended)];
    const { outcomes } = await tagFiles([plain, extended], { baseUrl: fake.url, dataDir, languages: ['en', 'ru'] });
    for (const [i, file] of [plain, extended].entries()) {
      expect(outcomes.get(file), file).toMatchObject({ status: 'done' });
      const tags = await readTags(file);
      expect(tags['XMP-dc:Title']).toBe('Photo 160x120');
      expect(tags['XMP-dc:Title-ru']).toBe('Фото 160x120');
      expect(pixelDigest(file)).toBe(pixels[i]);
    }
    expect((await readTags(extended))['XMP-dc:Creator']).toBe('Ana Lima');
  });

  it('ignores any FileType qualifier: RAF (M-RAW) is a RAF, RAW (Panasonic, Kyocera) is a RAW', () => {
    expect(formatOf('RAF (M-RAW)')).toMatchObject({ name: 'RAF', sidecarOnly: true });
    expect(formatOf('RAW')).toMatchObject({ name: 'RAW', sidecarOnly: true });
    expect(formatOf('Extended WEBP (lossless)')).toMatchObject({ name: 'WebP', sidecarOnly: false });
    expect(formatOf('WEBP (lossless)')).toMatchObject({ name: 'WebP' });
  });

  it('writes a JPEG named .nef into the file as the JPEG it is, under its own name', async () => {
    const { folder, dataDir } = work();
    const [photo] = copyCorpus(folder, [['jpeg/olympus-pen-e-p3.jpg', 'holiday.nef']]);
    const before = await readTags(photo!);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir });
    expect(outcomes.get(photo!)).toMatchObject({ status: 'done', target: photo });
    const tags = await readTags(photo!);
    expect(await fileType(photo!)).toBe('JPEG');
    expect(tags['XMP-dc:Title']).toBe('Photo 1024x768');
    expect(tags['IPTC:ObjectName']).toBe('Photo 1024x768');
    expect(tags['File:ImageDataHash']).toBe(before['File:ImageDataHash']);
    expect(fs.readdirSync(folder).sort()).toEqual(['.data', 'holiday.nef']);
  });

  it('writes Photoshop files in place: XMP and IPTC in, the composite pixels untouched', async () => {
    const { folder, dataDir } = work();
    const psd = picture(folder, 'layout.psd');
    const pixels = pixelDigest(psd);
    const { outcomes } = await tagFiles([psd], { baseUrl: fake.url, dataDir, languages: ['en', 'ru'] });
    expect(outcomes.get(psd)).toMatchObject({ status: 'done' });
    const tags = await readTags(psd);
    expect(tags['XMP-dc:Title']).toBe('Photo 160x120');
    expect(tags['IPTC:ObjectName']).toBe('Photo 160x120');
    expect(list(tags['XMP-dc:Subject'])).toContain('пейзаж');
    expect(pixelDigest(psd)).toBe(pixels);
  });

  it('BMP, BigTIFF and Photoshop work with --sidecar; BMP and BigTIFF without it fail before the model is asked, naming --sidecar', async () => {
    const { folder, dataDir } = work();
    const bmp = picture(folder, 'scan.bmp');
    const bigtiff = picture(folder, 'big.tif', '-define', 'tiff:format=BigTIFF');
    execFileSync('convert', [bigtiff, `TIFF64:${bigtiff}`]);
    const psd = picture(folder, 'layers.psd');
    expect(await fileType(bigtiff)).toBe('BTF');
    const bytes = [bmp, bigtiff, psd].map(sha256);

    const asked = calls();
    const refused = await tagFiles([bmp, bigtiff], { baseUrl: fake.url, dataDir });
    expect(calls()).toBe(asked);
    expect(refused.outcomes.get(bmp)).toMatchObject({
      status: 'failed',
      reason: 'ExifTool cannot write metadata into BMP files; --sidecar writes an XMP sidecar beside it instead',
    });
    expect(refused.outcomes.get(bigtiff)).toMatchObject({ status: 'failed', reason: expect.stringContaining('--sidecar') });

    const { outcomes } = await tagFiles([bmp, bigtiff, psd], { baseUrl: fake.url, dataDir, sidecar: true });
    for (const [i, file] of [bmp, bigtiff, psd].entries()) {
      const sidecar = file.replace(/\.\w+$/u, '.xmp');
      expect(outcomes.get(file), file).toMatchObject({ status: 'done', target: sidecar });
      expect((await readTags(sidecar))['XMP-dc:Title']).toBe('Photo 160x120');
      expect(sha256(file)).toBe(bytes[i]);
    }
  });

  it('JPEG 2000: a JP2 file in place (XMP, EXIF, image data untouched); a bare J2K codestream with --sidecar, refused without it', async () => {
    const { folder, dataDir } = work();
    const jp2 = picture(folder, 'scan.jp2', '-alpha', 'off');
    const j2k = picture(folder, 'tile.j2k', '-alpha', 'off');
    const before = await readTags(jp2);
    const bytes = sha256(j2k);
    const asked = calls();
    const refused = await tagFiles([j2k], { baseUrl: fake.url, dataDir });
    expect(calls()).toBe(asked);
    expect(refused.outcomes.get(j2k)).toMatchObject({ status: 'failed', reason: expect.stringContaining('--sidecar') });

    const { outcomes } = await tagFiles([jp2], { baseUrl: fake.url, dataDir, languages: ['en', 'ru'] });
    expect(outcomes.get(jp2), outcomes.get(jp2)?.reason).toMatchObject({ status: 'done', title: 'Photo 160x120' });
    const after = await readTags(jp2);
    expect(after['XMP-dc:Title-ru']).toBe('Фото 160x120');
    expect(after['IFD0:ImageDescription']).toBe('A photograph of width 160x120.');
    expect(after['File:ImageDataHash']).toBe(before['File:ImageDataHash']);

    const sidecarRun = await tagFiles([j2k], { baseUrl: fake.url, dataDir, sidecar: true });
    expect(sidecarRun.outcomes.get(j2k)).toMatchObject({ status: 'done', target: path.join(folder, 'tile.xmp') });
    expect((await readTags(path.join(folder, 'tile.xmp')))['XMP-dc:Title']).toBe('Photo 160x120');
    expect(sha256(j2k)).toBe(bytes);
  });

  it('JPEG XL: decoded by libjxl (WebAssembly), written in place (XMP and EXIF, no IPTC), image data untouched', async () => {
    const { folder, dataDir } = work();
    const [jxl] = copyCorpus(folder, ['other/usnavy-reagan-exif-xmp.jxl']);
    const before = await readTags(jxl!);
    expect(formatOf(await fileType(jxl!))).toMatchObject({ name: 'JXL', inFile: true, iptc: false });
    const { outcomes } = await tagFiles([jxl!], { baseUrl: fake.url, dataDir, languages: ['en', 'ru'], force: true, overwrite: true });
    expect(outcomes.get(jxl!), outcomes.get(jxl!)?.reason).toMatchObject({ status: 'done', title: 'Photo 200x130' });
    const after = await readTags(jxl!);
    expect(await fileType(jxl!)).toBe('JXL');
    expect(after['XMP-dc:Title']).toBe('Photo 200x130');
    expect(after['XMP-dc:Title-ru']).toBe('Фото 200x130');
    expect(list(after['XMP-dc:Subject'])).toContain('пейзаж');
    expect(after['IFD0:ImageDescription']).toBe('A photograph of width 200x130.');
    expect(Object.keys(after).filter((key) => key.startsWith('IPTC'))).toEqual([]);
    expect(after['File:ImageDataHash']).toBeTruthy();
    expect(after['File:ImageDataHash']).toBe(before['File:ImageDataHash']);
    expect(fs.readdirSync(folder).sort()).toEqual(['.data', 'usnavy-reagan-exif-xmp.jxl']);

    // A cut-off JPEG XL fails (ExifTool or libjxl notices) before the model is asked, and is left alone.
    const cut = path.join(folder, 'cut.jxl');
    fs.writeFileSync(cut, fs.readFileSync(jxl!).subarray(0, 20_000));
    const bytes = sha256(cut);
    const asked = calls();
    const damaged = await tagFiles([cut], { baseUrl: fake.url, dataDir, force: true });
    expect(calls()).toBe(asked);
    expect(damaged.outcomes.get(cut)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/cannot decode JPEG XL image|Truncated JPEG 2000 box/u),
    });
    expect(sha256(cut)).toBe(bytes);
  });

  it('a RAW with an embedded preview gets a sidecar (the preview is what the model sees)', async () => {
    const { folder, dataDir } = work();
    const [raw] = copyCorpus(folder, ['raw/panasonic-dmc-lx3-exiftool-sample.rw2']);
    const preview = picture(folder, 'preview.jpg', '-resize', '800x600!');
    execFileSync(testExifToolPath(), ['-q', '-overwrite_original', `-JpgFromRaw<=${preview}`, raw!]);
    fs.rmSync(preview);
    const bytes = sha256(raw!);
    const { outcomes } = await tagFiles([raw!], { baseUrl: fake.url, dataDir });
    expect(outcomes.get(raw!)).toMatchObject({ status: 'done', title: 'Photo 800x600' });
    expect((await readTags(path.join(folder, 'panasonic-dmc-lx3-exiftool-sample.xmp')))['XMP-dc:Title']).toBe('Photo 800x600');
    expect(sha256(raw!)).toBe(bytes);
  });
});

describe('damaged photos (defect 8)', () => {
  it('tags a photo every viewer shows despite libjpeg warnings, and keeps its pixels', async () => {
    const { folder, dataDir } = work();
    const [photo] = copyCorpus(folder, ['broken/corrupt-exif-bad-gps-samsung-sm-g900p.jpg']);
    const before = await readTags(photo!);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir });
    expect(outcomes.get(photo!)).toMatchObject({ status: 'done', title: 'Photo 576x1024' });
    const after = await readTags(photo!);
    expect(after['XMP-dc:Title']).toBe('Photo 576x1024');
    expect(after['File:ImageDataHash']).toBe(before['File:ImageDataHash']);
  });

  it('still fails truncated files with one clear line, before the model is asked, leaving them untouched', async () => {
    const { folder, dataDir } = work();
    const files = copyCorpus(folder, ['broken/truncated-jpeg-100x100.jpg', 'broken/truncated.png', 'broken/truncated-ultrahdr-pixel6.jpg']);
    const bytes = files.map(sha256);
    const asked = calls();
    const { outcomes } = await tagFiles(files, { baseUrl: fake.url, dataDir });
    expect(calls()).toBe(asked);
    for (const [i, file] of files.entries()) {
      const outcome = outcomes.get(file)!;
      expect(outcome.status, file).toBe('failed');
      expect(outcome.reason).toMatch(/^cannot decode image: the file is truncated or damaged \([^\n]+\)$/u);
      expect(sha256(file)).toBe(bytes[i]);
    }
  });

  it('writes XMP where ExifTool refuses the IPTC block (bad Photoshop IRB), says so, and keeps the old IPTC', async () => {
    const { folder, dataDir } = work();
    const [photo] = copyCorpus(folder, ['broken/corrupt-exif-xmp-canon-30d.jpg']);
    const before = await readTags(photo!);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir });
    const outcome = outcomes.get(photo!)!;
    expect(outcome).toMatchObject({ status: 'done', target: photo });
    expect(outcome.warnings).toContain('IPTC not written: Bad Photoshop IRB resource');
    const after = await readTags(photo!);
    expect(after['XMP-dc:Title']).toBe('Photo 600x900');
    const iptc = (tags: Record<string, unknown>) => Object.fromEntries(Object.entries(tags).filter(([key]) => key.startsWith('IPTC')));
    expect(iptc(after)).toEqual(iptc(before));
    expect(after['File:ImageDataHash']).toBe(before['File:ImageDataHash']);
  });

  it('a file ExifTool cannot write at all fails before the model is asked and names --sidecar', async () => {
    const { folder, dataDir } = work();
    const [photo] = copyCorpus(folder, ['broken/heic-corrupt-exif-invalid-gps.heic']);
    const asked = calls();
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir });
    expect(calls()).toBe(asked);
    expect(outcomes.get(photo!)).toMatchObject({
      status: 'failed',
      reason: 'ExifTool cannot write into this file (Truncated mdat atom); --sidecar writes an XMP sidecar beside it instead',
    });
  });
});

describe('keywords: script and case (defects 11, 12)', () => {
  it('drops keywords in another script under a one-language profile, and from each language of a generic run', async () => {
    const { folder, dataDir } = work();
    const [stock, generic] = copyCorpus(folder, [
      ['jpeg/nikon-d5000.jpg', 'stock.jpg'],
      ['jpeg/nikon-d5000.jpg', 'generic.jpg'],
    ]);
    fake.push({ type: 'ok', keywords: ['dog', 'собака', 'park', 'Hund im Park', 'щенок', 'grass 2024'] });
    await tagFiles([stock!], { baseUrl: fake.url, dataDir, profile: 'adobe-stock' });
    expect(list((await readTags(stock!))['XMP-dc:Subject'])).toEqual(['dog', 'park', 'Hund im Park', 'grass 2024']);
    expect(list((await readTags(stock!))['IPTC:Keywords'])).toEqual(['dog', 'park', 'Hund im Park', 'grass 2024']);

    fake.push({ type: 'ok', keywords: ['dog', 'собака', 'park'] });
    await tagFiles([generic!], { baseUrl: fake.url, dataDir: `${dataDir}-generic`, languages: ['en', 'ru'] });
    // The same list comes back for en and ru: each language keeps only its own script.
    expect(list((await readTags(generic!))['XMP-dc:Subject'])).toEqual(['dog', 'park', 'собака']);
  });

  it('keeps proper nouns as the model wrote them, dedupes in any case (first spelling wins), and the prompt asks for that', async () => {
    const { folder, dataDir } = work();
    const [photo] = copyCorpus(folder, ['jpeg/nikon-d5000.jpg']);
    fake.push({ type: 'ok', keywords: ['Lisbon', 'tram', 'Eiffel Tower', 'lisbon', 'TRAM', 'eiffel tower', 'street'] });
    const asked = calls();
    await tagFiles([photo!], { baseUrl: fake.url, dataDir });
    expect(list((await readTags(photo!))['XMP-dc:Subject'])).toEqual(['Lisbon', 'tram', 'Eiffel Tower', 'street']);
    const prompt = (fake.state.calls[asked] as unknown as { prompt: string }).prompt;
    expect(prompt).not.toMatch(/short phrases in lower case/u);
    expect(prompt).toContain('keep their usual capitals (Lisbon, Eiffel Tower)');
  });
});

function testExifToolPath(): string {
  return path.join(path.dirname(createRequire(import.meta.url).resolve('exiftool-vendored.pl/package.json')), 'bin', 'exiftool');
}
