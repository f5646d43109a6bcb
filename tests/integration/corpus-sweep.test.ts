// Every photo in the corpus through the built CLI, as a user would tag a whole archive: default mode and
// --force, English and Russian. What may fail is decided independently of phototag: plain ExifTool must be
// able to write the content (in the file, or a sidecar for RAW) and a decoder other than phototag's
// (ImageMagick; for RAW an embedded preview ImageMagick reads; for JPEG XL, which this ImageMagick has no
// delegate for, libjxl called directly) must show the picture to its end.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, ROOT, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

const BIN = path.join(ROOT, 'bin', 'phototag.js');
const EXIFTOOL = path.join(path.dirname(createRequire(import.meta.url).resolve('exiftool-vendored.pl/package.json')), 'bin', 'exiftool');
/** ExifTool's RAW file types: they get a sidecar, and their pixels come from an embedded preview. */
const RAW = new Set([
  '3FR',
  'ARI',
  'ARQ',
  'ARW',
  'CR2',
  'CR3',
  'CRM',
  'CRW',
  'CS1',
  'DCR',
  'DNG',
  'EIP',
  'ERF',
  'FFF',
  'GPR',
  'IIQ',
  'K25',
  'KDC',
  'MEF',
  'MOS',
  'MRW',
  'NEF',
  'NRW',
  'ORF',
  'ORI',
  'PEF',
  'RAF',
  'RAW',
  'RW2',
  'RWL',
  'SR2',
  'SRF',
  'SRW',
  'X3F',
]);
/** The model's text in an en+ru run (fake server): nothing else may change. */
const OWNED =
  /^(XMP-dc:(Title|Description)(-.+)?|XMP-dc:Subject|XMP-lr:HierarchicalSubject|XMP-digiKam:TagsList|XMP-microsoft:LastKeywordXMP|IPTC:(ObjectName|Caption-Abstract|Keywords|CodedCharacterSet|ApplicationRecordVersion)|IFD0:ImageDescription)$/u;
/**
 * Not metadata of the photo: the file system, ExifTool's own notes and composites, pointers and sizes that
 * move when metadata grows, which chunks a WebP holds, and the pointer to extended XMP (ExifTool merges
 * extended XMP into the main packet when it fits; every property in it is still compared).
 */
const NOT_CONTENT =
  /^(SourceFile|(System|File|Composite|ExifTool):.*|XMP-x:XMPToolkit|Photoshop:IPTCDigest|QuickTime:MediaDataSize|RIFF:WebP_Flags|XMP-xmpNote:HasExtendedXMP|.*(Offset|Offsets|Start|ByteCount|ByteCounts|Length)$)/u;

interface Photo {
  /** Relative to the corpus. */
  name: string;
  type: string;
  raw: boolean;
  /** Plain ExifTool writes this content (in the file; a sidecar for RAW). */
  writable: boolean;
  /** Another decoder shows the whole picture. */
  viewable: boolean;
  why: string;
}

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let root: string;
let photos: Photo[];

function corpusPhotos(): string[] {
  const out: string[] = [];
  for (const folder of fs.readdirSync(CORPUS, { withFileTypes: true })) {
    if (!folder.isDirectory() || folder.name === 'LICENSES') continue;
    for (const file of fs.readdirSync(path.join(CORPUS, folder.name))) {
      if (!file.endsWith('.xmp')) out.push(`${folder.name}/${file}`);
    }
  }
  return out.sort();
}

/** exiftool -j -G1 -a over many files in one process. */
function readAll(files: string[]): Map<string, Record<string, unknown>> {
  const result = spawnSync(EXIFTOOL, ['-j', '-G1', '-a', '-q', '-q', ...files], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const rows = JSON.parse(result.stdout || '[]') as Record<string, unknown>[];
  return new Map(rows.map((row) => [path.resolve(String(row.SourceFile)), row]));
}

function run(command: string, args: string[], input?: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

/** The oracle: what plain ExifTool and ImageMagick make of each photo, on copies of their own (batched: ExifTool starts slowly). */
async function judge(names: string[]): Promise<Photo[]> {
  const dir = path.join(root, 'oracle');
  const written = path.join(dir, 'written');
  const previews = path.join(dir, 'previews');
  for (const folder of [dir, written, previews]) fs.mkdirSync(folder);
  const info = spawnSync(
    EXIFTOOL,
    ['-j', '-q', '-q', '-File:FileType', '-File:FileTypeExtension', '-ExifTool:Warning', ...names.map((n) => path.join(CORPUS, n))],
    { encoding: 'utf8' },
  );
  const types = new Map(
    (JSON.parse(info.stdout) as { SourceFile: string; FileType?: string; FileTypeExtension?: string; Warning?: string }[]).map((r) => [
      path.resolve(r.SourceFile),
      r,
    ]),
  );
  const entries = names.map((name, index) => {
    const found = types.get(path.join(CORPUS, name));
    const type = (found?.FileType ?? '')
      .replace(/\s*\(.*\)\s*/u, ' ')
      .trim()
      .toUpperCase();
    // Named for its content, as ExifTool needs (a JPEG named .nef is still a JPEG).
    const copy = path.join(dir, `${index}.${(found?.FileTypeExtension ?? 'bin').toLowerCase()}`);
    fs.copyFileSync(path.join(CORPUS, name), copy);
    fs.chmodSync(copy, 0o644);
    return { name, index, type, raw: RAW.has(type), copy, warning: found?.Warning ?? '' };
  });
  const raws = entries.filter((e) => e.raw);
  const others = entries.filter((e) => !e.raw);
  // Plain ExifTool: into the file itself, or a sidecar for RAW.
  const inFile = spawnSync(EXIFTOOL, ['-m', '-XMP-dc:Title=probe', '-o', `${written}/`, ...others.map((e) => e.copy)], {
    encoding: 'utf8',
  });
  const sidecars = spawnSync(EXIFTOOL, ['-m', '-XMP-dc:Title=probe', '-o', `${written}/%f.xmp`, ...raws.map((e) => e.copy)], {
    encoding: 'utf8',
  });
  const refusals = `${inFile.stderr}\n${sidecars.stderr}`.split('\n');
  spawnSync(EXIFTOOL, [
    '-q',
    '-q',
    '-b',
    '-PreviewImage',
    '-JpgFromRaw',
    '-OtherImage',
    '-W',
    `${previews}/%f_%t.jpg`,
    ...raws.map((e) => e.copy),
  ]);
  const previewSizes = spawnSync('identify', ['-format', '%f %w %h\n', ...fs.readdirSync(previews).map((f) => path.join(previews, f))], {
    encoding: 'utf8',
  }).stdout;

  return inBatches(entries, 2, async (entry): Promise<Photo> => {
    const out = path.join(written, entry.raw ? `${entry.index}.xmp` : path.basename(entry.copy));
    const writable = fs.existsSync(out);
    let why = writable ? '' : `ExifTool cannot write it: ${refusals.find((line) => line.includes(entry.copy)) ?? '?'}`;
    let viewable: boolean;
    if (entry.raw) {
      viewable = previewSizes.split('\n').some((line) => {
        const [file, w, h] = line.split(' ');
        return file?.startsWith(`${entry.index}_`) && Math.max(Number(w), Number(h)) >= 512;
      });
      if (!viewable) why ||= 'a RAW without an embedded preview of at least 512 px';
    } else if (['HEIC', 'HEIF', 'AVIF'].includes(entry.type)) {
      // ImageMagick decodes HEVC too slowly for a test: the container must parse and hold its whole data.
      const ping = await run('identify', ['-ping', entry.copy]);
      viewable = ping.code === 0 && !/truncat/iu.test(entry.warning);
      if (!viewable) why ||= `ImageMagick cannot read it: ${ping.stderr.trim().split('\n')[0] ?? entry.warning}`;
    } else if (entry.type === 'JXL') {
      // ImageMagick here has no JPEG XL delegate: libjxl (WebAssembly) itself must decode every pixel.
      const decoded = await decodeJxl(entry.copy);
      viewable = decoded === '';
      if (!viewable) why ||= `libjxl cannot show it: ${decoded}`;
    } else {
      const decode = await run('convert', ['-define', 'jpeg:size=128x128', `${entry.copy}[0]`, '-resize', '16x16', 'png:/dev/null']);
      viewable = decode.code === 0 && !/premature end of JPEG file|truncat/iu.test(decode.stderr);
      if (!viewable) why ||= `ImageMagick cannot show it: ${decode.stderr.trim().split('\n')[0]}`;
    }
    return { name: entry.name, type: entry.type, raw: entry.raw, writable, viewable, why };
  });
}

/** '' when libjxl decodes the whole JPEG XL image, else why not. */
async function decodeJxl(file: string): Promise<string> {
  try {
    const jxl = await import('@jsquash/jxl/decode.js');
    const wasm = createRequire(import.meta.url).resolve('@jsquash/jxl/codec/dec/jxl_dec.wasm');
    await jxl.init(await WebAssembly.compile(fs.readFileSync(wasm)), { print: () => undefined, printErr: () => undefined });
    const bytes = fs.readFileSync(file);
    const image = await jxl.default(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return image.width > 0 && image.height > 0 && image.data.length >= image.width * image.height * 4 ? '' : 'no pixels';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The built CLI over every photo in one run, with --json: every stdout line must be a JSON object. */
async function tagAll(dir: string, extra: string[]): Promise<Map<string, Record<string, unknown>>> {
  const files = photos.map((p) => path.join(dir, p.name));
  const result = await run(process.execPath, [
    BIN,
    'tag',
    '--provider',
    'openai',
    '--base-url',
    fake.url,
    '--model',
    'fake/vision',
    '--rpm',
    '0',
    '--data-dir',
    path.join(dir, '.data'),
    '--lang',
    'en,ru',
    '--concurrency',
    '2',
    '--json',
    ...extra,
    ...files,
  ]);
  const lines = result.stdout.split('\n').filter((line) => line !== '');
  for (const line of lines) expect(() => JSON.parse(line), `stdout line is not JSON: ${line}`).not.toThrow();
  const outcomes = new Map(
    lines.map((line) => JSON.parse(line) as Record<string, unknown>).map((o) => [path.relative(dir, String(o.file)), o]),
  );
  expect([...outcomes.keys()].sort(), result.stderr).toEqual(photos.map((p) => p.name).sort());
  return outcomes;
}

function copyTree(to: string): void {
  for (const photo of photos) {
    const target = path.join(to, photo.name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(CORPUS, photo.name), target);
    fs.chmodSync(target, 0o644);
  }
}

/** Tags present before that are gone or changed after, outside what phototag owns. */
function lostOrChanged(before: Record<string, unknown>, after: Record<string, unknown> | undefined): string[] {
  if (!after) return ['(cannot be read any more)'];
  const legacyIptc = !/utf8/iu.test(String(before['IPTC:CodedCharacterSet'] ?? ''));
  return Object.keys(before)
    .filter((key) => !OWNED.test(key) && !NOT_CONTENT.test(key))
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .filter((key) => !(legacyIptc && key.startsWith('IPTC') && sameBytesReadAsUtf8(before[key], after[key])))
    .map((key) => `${key}: ${JSON.stringify(before[key])} → ${JSON.stringify(after[key])}`);
}

/**
 * Legacy IPTC (no charset marker) is read as Latin-1; bytes that were UTF-8 all along ("KÃ¥lltorp") read
 * correctly ("Kålltorp") once the block carries the UTF-8 marker phototag adds. The bytes are the same.
 */
function sameBytesReadAsUtf8(before: unknown, after: unknown): boolean {
  const asUtf8 = (value: unknown) => (typeof value === 'string' ? Buffer.from(value, 'latin1').toString('utf8') : value);
  const was = Array.isArray(before) ? before.map(asUtf8) : asUtf8(before);
  return JSON.stringify(was) === JSON.stringify(after);
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  root = tempDir('phototag-sweep-');
  photos = await judge(corpusPhotos());
}, 480_000);
afterAll(async () => {
  await fake.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe.each([
  ['default mode', []],
  ['--force', ['--force']],
])('every corpus photo, %s, --lang en,ru', (mode, extra) => {
  it('tags every photo plain ExifTool can write, fails the rest with one clear line, keeps pixels and every other tag', async () => {
    const dir = path.join(root, mode.replace(/\W/gu, ''));
    copyTree(dir);
    const files = photos.map((p) => path.join(dir, p.name));
    const before = readAll(files);
    const hashBefore = imageHashes(files);
    const outcomes = await tagAll(dir, extra);
    const after = readAll(files);
    const hashAfter = imageHashes(files);

    const problems: string[] = [];
    for (const photo of photos) {
      const outcome = outcomes.get(photo.name)!;
      const file = path.join(dir, photo.name);
      const reason = String(outcome.error ?? outcome.reason ?? '');
      if (photo.writable && photo.viewable) {
        if (outcome.status === 'failed')
          problems.push(`${photo.name} (${photo.type}) failed although ExifTool writes it and it decodes: ${reason}`);
      } else if (outcome.status === 'done' && !photo.raw) {
        problems.push(`${photo.name} was written although ${photo.why}`);
      } else if (outcome.status === 'failed' && (reason === '' || reason.includes('\n') || reason.length > 300)) {
        problems.push(`${photo.name} failed without one clear line: ${JSON.stringify(reason)}`);
      }
      if (hashBefore.get(file) !== hashAfter.get(file)) problems.push(`${photo.name}: image data changed`);
      for (const change of lostOrChanged(before.get(file)!, after.get(file))) problems.push(`${photo.name}: ${change}`);
    }
    const leftovers = fs
      .readdirSync(dir, { recursive: true })
      .map(String)
      .filter((name) => path.basename(name).startsWith('.phototag-tmp-'));
    expect(leftovers).toEqual([]);
    expect(problems).toEqual([]);
    // The sweep did tag something in every format family that ExifTool writes.
    const doneTypes = new Set(photos.filter((p) => outcomes.get(p.name)!.status === 'done').map((p) => p.type));
    for (const type of ['JPEG', 'TIFF', 'PNG', 'WEBP', 'GIF', 'HEIC', 'AVIF', 'MPO', 'CR3', 'JXL'])
      if (mode === '--force') expect(doneTypes).toContain(type);
  }, 480_000);
});

/**
 * ExifTool's digest of the image data alone, for every photo at once; where ExifTool has none (GIF, PSD),
 * a digest of the pixels ImageMagick decodes.
 */
function imageHashes(files: string[]): Map<string, string> {
  const result = spawnSync(EXIFTOOL, ['-j', '-q', '-q', '-api', 'ImageHashType=SHA256', '-ImageDataHash', ...files], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const hashes = new Map(
    (JSON.parse(result.stdout || '[]') as { SourceFile: string; ImageDataHash?: string }[]).map((r) => [
      path.resolve(r.SourceFile),
      r.ImageDataHash ?? '',
    ]),
  );
  for (const file of files) {
    if (hashes.get(file)) continue;
    const pixels = spawnSync('convert', [file, 'rgba:-'], { maxBuffer: 256 * 1024 * 1024 });
    hashes.set(file, pixels.status === 0 ? `pixels:${createHash('sha256').update(pixels.stdout).digest('hex')}` : '');
  }
  return hashes;
}
