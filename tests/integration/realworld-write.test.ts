// Real-world metadata that other programs wrote (issue 10): legacy IPTC, IPTC in trailers, lang-alt entries
// without x-default, Windows XP tags, boilerplate, entity-like text, digiKam/Lightroom/Windows keyword lists,
// and files ExifTool has to repair. Every test checks with ExifTool AND exiv2 that what was there stays.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, exiv2, list, readTags, ROOT, sha256, tempDirs } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { tagFiles } from '../support/harness.js';
import { allTags, closePlainExifTool, exiv2Tags, lostOrChanged, lostOrChangedExiv2, plainExifTool } from '../support/preserved.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const workDir = tempDirs();

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
  await closePlainExifTool();
});

const EXIFTOOL = path.join(ROOT, 'node_modules/exiftool-vendored.pl/bin/exiftool');

/** The ExifTool command line as a person would use it (values stored literally, no HTML decoding). */
function exiftool(file: string, ...args: string[]): void {
  const result = spawnSync('perl', [EXIFTOOL, '-q', '-q', '-overwrite_original', ...args, file], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`exiftool ${args.join(' ')}: ${result.stderr}`);
}

function smallJpeg(dir: string, name: string, colour = 'skyblue'): string {
  const file = path.join(dir, name);
  const result = spawnSync('convert', ['-size', '64x48', `xc:${colour}`, file]);
  if (result.status !== 0) throw new Error(`convert: ${result.stderr}`);
  return file;
}

/** IPTC-IIM records (dataset number of record 2, value) as bytes: Latin-1 strings stay Latin-1 with a Buffer. */
function iptcRecords(records: [number, string | Buffer][]): Buffer {
  return Buffer.concat(
    records.map(([dataset, value]) => {
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
      const header = Buffer.from([0x1c, 2, dataset, 0, 0]);
      header.writeUInt16BE(bytes.length, 3);
      return Buffer.concat([header, bytes]);
    }),
  );
}

/** Append an AFCP trailer holding IPTC (what FotoStation and AXS tools write; ExifTool calls its group IPTC2). */
function appendAfcpIptc(file: string, records: [number, string | Buffer][]): void {
  const image = fs.readFileSync(file);
  const iptc = iptcRecords(records);
  const start = image.length;
  const header = Buffer.alloc(12);
  header.write('AXS!', 0, 'latin1');
  header.writeUInt16BE(0x0100, 4);
  header.writeUInt16BE(1, 6);
  const entry = Buffer.alloc(12);
  entry.write('IPTC', 0, 'latin1');
  entry.writeUInt32BE(iptc.length, 4);
  entry.writeUInt32BE(start + 24, 8);
  const end = Buffer.alloc(12);
  end.write('AXS!', 0, 'latin1');
  end.writeUInt32BE(start, 4);
  fs.writeFileSync(file, Buffer.concat([image, header, entry, iptc, end]));
}

/** Raw IPTC values (-n) of both blocks, as the next reader of the file sees them. */
async function iptcBlocks(file: string): Promise<Record<string, unknown>> {
  return (await plainExifTool().readRaw(file, { readArgs: ['-G1', '-a', '-n', '-IPTC:all'], useMWG: false })) as Record<string, unknown>;
}

const latin1 = (text: string) => Buffer.from(text, 'latin1');

describe('legacy IPTC without a charset marker (Picasa, Photo Mechanic, old Photoshop, phones)', () => {
  it.each([
    ['with-metadata/picasa-iptc-keywords.jpg', false],
    ['with-metadata/nokia-lumia800-gps-iptc-xmp-keywords.jpg', false],
    ['with-metadata/exiftool-mwg-conflicting-keywords.jpg', false],
    ['with-metadata/iptc-photometadata-reference-2019.1.jpg', true],
    ['with-metadata/swedish-iptc-mixed-encoding.jpg', true],
  ] as const)('%s (force %s): tagged, old keywords kept, every other tag kept, new fields read back', async (name, force) => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, [name]);
    const before = await allTags(photo!);
    const beforeExiv2 = exiv2Tags(photo!);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), force });
    const outcome = outcomes.get(photo!)!;
    expect(outcome.reason ?? '').toBe('');
    expect(outcome.status).toBe('done');

    const after = await allTags(photo!);
    expect(after['IPTC:CodedCharacterSet']).toBe('\x1b%G');
    for (const keyword of list(before['IPTC:Keywords'])) expect(list(after['IPTC:Keywords'])).toContain(keyword);
    expect(list(after['IPTC:Keywords'])).toContain('landscape');
    expect(list(after['XMP-dc:Subject'])).toContain('landscape');
    // The Swedish file has UTF-8 bytes in one legacy value ("Kålltorp", shown by ExifTool as "KÃ¥lltorp"):
    // now that the block says UTF-8, it is read as what it is.
    const reencoded = name.includes('swedish') ? [/^IPTC:Sub-location$/u] : [];
    expect(lostOrChanged(before, after, reencoded)).toEqual([]);
    if (name.includes('swedish')) {
      expect(after['IPTC:Sub-location']).toBe('Kålltorp');
      expect(after['IPTC:Caption-Abstract']).toBe('Porträtt på Eva');
      expect(after['IPTC:City']).toBe('Göteborg');
    }
    // exiv2 shows legacy bytes as they are: only the re-encoded non-ASCII values may look different to it.
    const legacyNonAscii = Object.entries(before)
      .filter(([tag, value]) => tag.startsWith('IPTC:') && /[^\x00-\x7f]/u.test(JSON.stringify(value)))
      .map(([tag]) => new RegExp(`^Iptc\\.Application2\\.${tag.slice(5).replace(/-/gu, '')}`, 'iu'));
    expect(
      lostOrChangedExiv2(beforeExiv2, exiv2Tags(photo!), [/^Iptc\.Application2\.(SubLocation|ProvinceState|City)$/u, ...legacyNonAscii]),
    ).toEqual([]);
    if (name.includes('swedish')) expect(exiv2(photo!)).toMatch(/Iptc\.Application2\.Caption\s+String\s+\d+\s+Porträtt på Eva/u);
  });

  it('a JPEG with a legacy keyword and a Latin-1 caption: keyword kept, caption re-encoded as UTF-8, no garbling', async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'legacy.jpg');
    exiftool(photo, '-IPTC:Keywords=oldkw', '-IPTC:By-line=Jürgen Weiß', '-IPTC:TimeCreated=16:51:00');
    const before = await allTags(photo);
    expect(before['IPTC:CodedCharacterSet']).toBeUndefined();
    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), languages: ['en', 'ru'] });
    expect(outcomes.get(photo)).toMatchObject({ status: 'done' });
    const after = await readTags(photo);
    expect(list(after['IPTC:Keywords'])).toEqual([
      'oldkw',
      'landscape',
      'outdoor',
      'travel',
      'nature',
      '64x48',
      'пейзаж',
      'природа',
      'путешествие',
    ]);
    expect(after['IPTC:By-line']).toBe('Jürgen Weiß');
    expect(outcomes.get(photo)?.fieldsWritten).not.toContain('IPTC:By-line');
    expect(lostOrChanged(before, await allTags(photo))).toEqual([]);
    expect(exiv2(photo)).toMatch(/Iptc\.Application2\.Byline\s+String\s+\d+\s+Jürgen Weiß/u);
    expect(exiv2(photo)).toMatch(/Iptc\.Application2\.Keywords\s+String\s+\d+\s+путешествие/u);
  });
});

describe('IPTC in AFCP/FotoStation trailers (group IPTC2)', () => {
  it("is a person's text: the trailer's caption is kept, its keywords stay, its other values stay value for value", async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'trailer.jpg');
    exiftool(photo, '-IPTC:Credit=number one', '-IPTC:Keywords=oldkw', '-IPTC:City=Göteborg');
    appendAfcpIptc(photo, [
      [25, 'trailerkw'],
      [60, '16:51:00'],
      [90, latin1('Göteborg')],
      [110, 'number two'],
      [120, 'Trailer caption'],
    ]);
    const before = await iptcBlocks(photo);
    expect(before).toMatchObject({
      'IPTC:Credit': 'number one',
      'IPTC2:Credit': 'number two',
      'IPTC2:TimeCreated': '16:51:00',
      'IPTC2:Caption-Abstract': 'Trailer caption',
    });
    const beforeAll = await allTags(photo);
    const beforeExiv2 = exiv2Tags(photo);

    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(photo)).toMatchObject({ status: 'done' });
    const after = await iptcBlocks(photo);
    expect(after['IPTC:Credit']).toBe('number one');
    expect(after['IPTC2:Credit']).toBe('number two');
    expect(after['IPTC2:TimeCreated']).toBe('16:51:00');
    expect(after['IPTC:City']).toBe('Göteborg');
    expect(after['IPTC2:City']).toBe('Göteborg');
    expect(after['IPTC2:Caption-Abstract']).toBe('Trailer caption');
    expect(after['IPTC:Caption-Abstract'] ?? 'Trailer caption').toBe('Trailer caption');
    const tags = await readTags(photo);
    expect(tags['XMP-dc:Description']).toBeUndefined();
    expect(tags['IFD0:ImageDescription']).toBeUndefined();
    expect(tags['XMP-dc:Title']).toBe('Photo 64x48');
    expect(list(tags['XMP-dc:Subject']).slice(0, 2).sort()).toEqual(['oldkw', 'trailerkw']);
    expect(list(after['IPTC2:Keywords'])).toContain('trailerkw');
    expect(lostOrChanged(beforeAll, await allTags(photo))).toEqual([]);
    expect(lostOrChangedExiv2(beforeExiv2, exiv2Tags(photo), [/^Iptc\.Application2\.City$/u])).toEqual([]);
    expect(exiv2(photo)).toMatch(/Iptc\.Application2\.City\s+String\s+\d+\s+Göteborg/u);
  });

  it('a title, caption and keywords only in the trailer count as tagged; with --force they are kept', async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'fotostation.jpg');
    appendAfcpIptc(photo, [
      [5, 'Trailer title'],
      [25, 'trailerkw'],
      [120, 'Trailer caption'],
    ]);
    const skipped = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(skipped.outcomes.get(photo)).toMatchObject({ status: 'skipped' });
    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data2'), force: true });
    expect(outcomes.get(photo)).toMatchObject({ status: 'done' });
    const tags = await readTags(photo);
    expect(tags['XMP-dc:Title']).toBeUndefined();
    expect(tags['XMP-dc:Description']).toBeUndefined();
    expect((await iptcBlocks(photo))['IPTC2:ObjectName']).toBe('Trailer title');
    expect(list(tags['XMP-dc:Subject'])[0]).toBe('trailerkw');
  });
});

describe("text in other languages and namespaces is a person's text", () => {
  it('a title and description only under a language tag are kept and get no x-default or extra language in front', async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'langalt.jpg');
    exiftool(photo, '-XMP-dc:Title-en-US=Sunset over the bay', '-XMP-dc:Description-de=Sonnenuntergang über der Bucht');
    const before = await allTags(photo);
    const beforeExiv2 = exiv2Tags(photo);
    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), languages: ['en', 'ru'] });
    expect(outcomes.get(photo)).toMatchObject({ status: 'done' });
    const tags = await readTags(photo);
    expect(tags['XMP-dc:Title']).toBeUndefined();
    expect(tags['XMP-dc:Title-ru']).toBeUndefined();
    expect(tags['XMP-dc:Description']).toBeUndefined();
    expect(tags['XMP-dc:Description-ru']).toBeUndefined();
    expect(tags['XMP-dc:Title-en-US']).toBe('Sunset over the bay');
    expect(tags['XMP-dc:Description-de']).toBe('Sonnenuntergang über der Bucht');
    expect(list(tags['XMP-dc:Subject'])).toContain('landscape');
    expect(lostOrChanged(before, await allTags(photo))).toEqual([]);
    expect(lostOrChangedExiv2(beforeExiv2, exiv2Tags(photo))).toEqual([]);
    expect(exiv2(photo)).not.toContain('x-default');
  });

  it('Windows XPTitle/XPSubject/XPComment/XPKeywords count as title, description and keywords', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['with-metadata/cyrillic-hebrew-telugu-exif-xp-tags.jpg']);
    const skipped = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(skipped.outcomes.get(photo!)).toMatchObject({ status: 'skipped' });
    const before = await allTags(photo!);
    const beforeExiv2 = exiv2Tags(photo!);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data2'), force: true });
    expect(outcomes.get(photo!)).toMatchObject({ status: 'done' });
    const tags = await readTags(photo!);
    expect(tags['XMP-dc:Title']).toBeUndefined();
    expect(tags['XMP-dc:Description']).toBeUndefined();
    expect(list(tags['XMP-dc:Subject'])).toEqual(['עברית (Hebrew)', 'landscape', 'outdoor', 'travel', 'nature', '150x91']);
    expect(lostOrChanged(before, await allTags(photo!))).toEqual([]);
    expect(lostOrChangedExiv2(beforeExiv2, exiv2Tags(photo!))).toEqual([]);
  });
});

describe('boilerplate is empty, and a lang-alt always has x-default', () => {
  it('"File written by Adobe Photoshop 4.0" (TIFF) is replaced by a description in every language', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['tiff/hopper-no-metadata.tif']);
    expect((await readTags(photo!))['IFD0:ImageDescription']).toMatch(/^File written by Adobe Photoshop/u);
    const before = await allTags(photo!);
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), languages: ['en', 'ru'] });
    expect(outcomes.get(photo!)).toMatchObject({ status: 'done' });
    const tags = await readTags(photo!);
    expect(tags['XMP-dc:Description']).toBe('A photograph of width 128x128.');
    expect(tags['XMP-dc:Description-ru']).toBe('Фотография шириной 128x128.');
    expect(tags['IFD0:ImageDescription']).toBe('A photograph of width 128x128.');
    expect(lostOrChanged(before, await allTags(photo!))).toEqual([]);
    expect(exiv2(photo!)).toMatch(/Xmp\.dc\.description\s+LangAlt\s+\d+\s+lang="x-default" A photograph/u);
  });

  it('camera filler and make/model descriptions are replaced; a title only in IPTC gets no lonely `ru` entry', async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'camera.jpg');
    exiftool(
      photo,
      '-IFD0:Make=NIKON',
      '-IFD0:Model=COOLPIX P7000',
      '-IFD0:ImageDescription=NIKON COOLPIX P7000',
      '-IPTC:ObjectName=My own title',
      '-IPTC:CodedCharacterSet=UTF8',
    );
    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), languages: ['en', 'ru'] });
    expect(outcomes.get(photo)).toMatchObject({ status: 'done' });
    const tags = await readTags(photo);
    expect(tags['IFD0:ImageDescription']).toBe('A photograph of width 64x48.');
    expect(tags['XMP-dc:Description-ru']).toBe('Фотография шириной 64x48.');
    expect(tags['IPTC:ObjectName']).toBe('My own title');
    expect(tags['XMP-dc:Title']).toBeUndefined();
    expect(tags['XMP-dc:Title-ru']).toBeUndefined();
    expect(exiv2(photo)).not.toMatch(/Xmp\.dc\.title/u);
  });
});

describe('text with entity-like sequences round-trips byte for byte', () => {
  it('keeps keywords `R&amp;B` and `a &lt; b` and writes a model answer with `&amp;` exactly', async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'entities.jpg');
    exiftool(
      photo,
      '-XMP-dc:Subject=R&amp;B',
      '-XMP-dc:Subject=a &lt; b',
      '-IPTC:Keywords=R&amp;B',
      '-IPTC:Keywords=a &lt; b',
      '-IPTC:CodedCharacterSet=UTF8',
    );
    expect(list((await readTags(photo))['XMP-dc:Subject'])).toEqual(['R&amp;B', 'a &lt; b']);
    fake.push({ type: 'ok', title: 'Rock &amp; Roll <live> & "loud"', keywords: ['fish &amp; chips', 'salt & pepper', '&#169; 2024'] });
    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(photo)).toMatchObject({ status: 'done' });
    const tags = await readTags(photo);
    expect(tags['XMP-dc:Title']).toBe('Rock &amp; Roll <live> & "loud"');
    expect(tags['IPTC:ObjectName']).toBe('Rock &amp; Roll <live> & "loud"');
    expect(list(tags['XMP-dc:Subject'])).toEqual(['R&amp;B', 'a &lt; b', 'fish &amp; chips', 'salt & pepper', '&#169; 2024']);
    expect(list(tags['IPTC:Keywords'])).toEqual(list(tags['XMP-dc:Subject']));
    expect(exiv2(photo)).toMatch(/Iptc\.Application2\.Keywords\s+String\s+\d+\s+R&amp;B/u);
  });
});

describe('keyword lists that other programs read first (digiKam, Lightroom, Windows)', () => {
  it("a new HierarchicalSubject starts with the photo's flat keywords, so digiKam still shows them", async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'flat.jpg');
    exiftool(photo, '-XMP-dc:Subject=Lisbon', '-XMP-dc:Subject=tram');
    const before = await allTags(photo);
    const beforeExiv2 = exiv2Tags(photo);
    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(photo)).toMatchObject({ status: 'done' });
    const tags = await readTags(photo);
    const expected = ['Lisbon', 'tram', 'landscape', 'outdoor', 'travel', 'nature', '64x48'];
    expect(list(tags['XMP-lr:HierarchicalSubject'])).toEqual(expected);
    expect(list(tags['XMP-dc:Subject'])).toEqual(expected);
    expect(lostOrChanged(before, await allTags(photo))).toEqual([]);
    expect(lostOrChangedExiv2(beforeExiv2, exiv2Tags(photo))).toEqual([]);
    expect(exiv2Tags(photo).get('Xmp.lr.hierarchicalSubject')?.[0]).toBe(expected.join(', '));
  });

  it('adds the new keywords to an existing TagsList, HierarchicalSubject and LastKeywordXMP, once per leaf', async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'digikam.jpg');
    exiftool(
      photo,
      '-XMP-digiKam:TagsList=Places/Lisbon',
      '-XMP-digiKam:TagsList=People/Ana',
      '-XMP-lr:HierarchicalSubject=Places|Lisbon',
      '-XMP-microsoft:LastKeywordXMP=Lisbon',
      '-XMP-microsoft:LastKeywordXMP=Ana',
      '-XMP-dc:Subject=Lisbon',
      '-XMP-dc:Subject=Ana',
    );
    const before = await allTags(photo);
    const beforeExiv2 = exiv2Tags(photo);
    fake.push({ type: 'ok', keywords: ['lisbon', 'tram', 'street'] });
    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(photo)).toMatchObject({ status: 'done' });
    const tags = await readTags(photo);
    expect(list(tags['XMP-dc:Subject'])).toEqual(['Lisbon', 'Ana', 'tram', 'street']);
    expect(list(tags['XMP-lr:HierarchicalSubject'])).toEqual(['Places|Lisbon', 'tram', 'street']);
    const more = (await plainExifTool().readRaw(photo, {
      readArgs: ['-G1', '-XMP-digiKam:all', '-XMP-microsoft:all'],
      useMWG: false,
    })) as Record<string, unknown>;
    expect(list(more['XMP-digiKam:TagsList'])).toEqual(['Places/Lisbon', 'People/Ana', 'tram', 'street']);
    expect(list(more['XMP-microsoft:LastKeywordXMP'])).toEqual(['Lisbon', 'Ana', 'tram', 'street']);
    expect(lostOrChanged(before, await allTags(photo))).toEqual([]);
    expect(lostOrChangedExiv2(beforeExiv2, exiv2Tags(photo))).toEqual([]);
    expect(exiv2Tags(photo).get('Xmp.digiKam.TagsList')?.[0]).toBe('Places/Lisbon, People/Ana, tram, street');
  });
});

describe("ExifTool's repairs are reported, and refused where they would drop another program's value", () => {
  const BIN = path.join(ROOT, 'bin', 'phototag.js');

  /** An XMP packet embedded as it is (ExifTool would normalise it if it wrote the properties itself). */
  function withXmpPacket(file: string, body: string): void {
    const packet = path.join(path.dirname(file), 'packet.xmp');
    fs.writeFileSync(
      packet,
      `<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>${body}</rdf:RDF></x:xmpmeta><?xpacket end='w'?>`,
    );
    exiftool(file, `-XMP<=${packet}`);
    fs.rmSync(packet);
  }

  it('says "[minor] Fixed incorrect URI…" in the result, the --json line and the terminal line', async () => {
    const dir = workDir();
    const [photo, second] = copyCorpus(dir, [
      'with-metadata/cjk-utf8-iptc-xmp-exif-xp.jpg',
      ['with-metadata/cjk-utf8-iptc-xmp-exif-xp.jpg', 'second.jpg'],
    ]);
    const env = { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: path.join(dir, 'data'), OPENROUTER_API_KEY: 'sk-or-v1-test' };
    const args = ['tag', '--provider', 'openrouter', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0', '--force'];
    // The fake server answers from this process: the CLI runs beside it, never blocking it.
    const run = (more: string[]) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args, ...more], { env });
        let stdout = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.on('close', () => resolve(stdout));
      });
    const json = { stdout: await run(['--json', photo!]) };
    const line = JSON.parse(json.stdout.trim().split('\n')[0]!);
    expect(line).toMatchObject({ status: 'done' });
    expect(line.warnings).toContain('[minor] Fixed incorrect URI for xmlns:MicrosoftPhoto');
    const plain = { stdout: await run([second!]) };
    expect(plain.stdout).toMatch(/second\.jpg: tagged/u);
    expect(plain.stdout.split('\n')).toContain('  ! [minor] Fixed incorrect URI for xmlns:MicrosoftPhoto');
    // The Windows keyword list of this file gets the new keywords too.
    const more = (await plainExifTool().readRaw(photo!, { readArgs: ['-G1', '-XMP-microsoft:all'], useMWG: false })) as Record<
      string,
      unknown
    >;
    expect(list(more['XMP-microsoft:LastKeywordXMP'])).toEqual(['test-中文-', 'landscape', 'outdoor', 'travel', 'nature', '200x200']);
  });

  it('refuses a write whose repair would drop a duplicate value of a field phototag does not own; the photo is untouched', async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'duplicate.jpg');
    withXmpPacket(
      photo,
      `<rdf:Description rdf:about='' xmlns:photoshop='http://ns.adobe.com/photoshop/1.0/'><photoshop:City>Lisbon</photoshop:City><photoshop:City>Porto</photoshop:City></rdf:Description>`,
    );
    const hash = sha256(photo);
    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(outcomes.get(photo)).toMatchObject({ status: 'failed', errorKind: 'write-failed' });
    expect(outcomes.get(photo)?.reason).toMatch(/photoshop:City/u);
    expect(sha256(photo)).toBe(hash);
    expect(fs.readdirSync(dir).sort()).toEqual(['data', 'duplicate.jpg']);
  });

  it('writes when the duplicate is in a field it replaces, and says so', async () => {
    const dir = workDir();
    const photo = smallJpeg(dir, 'duplicate-title.jpg');
    withXmpPacket(
      photo,
      `<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/' xmlns:photoshop='http://ns.adobe.com/photoshop/1.0/'><photoshop:City>Lisbon</photoshop:City><dc:title><rdf:Alt><rdf:li xml:lang='x-default'>One</rdf:li></rdf:Alt></dc:title><dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Two</rdf:li></rdf:Alt></dc:title></rdf:Description>`,
    );
    const { outcomes } = await tagFiles([photo], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), force: true, overwrite: true });
    expect(outcomes.get(photo)).toMatchObject({ status: 'done' });
    expect(outcomes.get(photo)?.warnings?.join('\n')).toMatch(/\[Minor\] Duplicate XMP property: dc:title/u);
    const tags = await readTags(photo);
    expect(tags['XMP-dc:Title']).toBe('Photo 64x48');
    expect(exiv2Tags(photo).get('Xmp.photoshop.City')).toEqual(['Lisbon']);
  });
});
