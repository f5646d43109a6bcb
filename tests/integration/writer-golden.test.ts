// What phototag's writer makes of every corpus photo, compared with what it made before the ExifTool work was cut
// (issue 13: -fast2 reads, a read-back of only the written fields, one hash pass, a cheaper RAW sidecar). The
// fixture holds, per photo, the written file's SHA-256 and ExifTool's dump of it; both were recorded with the
// writer as it was. Same ExifTool version: the bytes must be identical. Another version: every tag but the
// version string (and what moves with its length) must be. Record again with PHOTOTAG_RECORD_GOLDEN=1.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetadataTool } from '../../src/core/exiftool.js';
import { formatOf } from '../../src/core/formats.js';
import { hashPhoto } from '../../src/core/hash.js';
import { imageDataHash } from '../../src/core/imagehash.js';
import { probeInFileWrite } from '../../src/core/probe.js';
import { firstState, writeChecked } from '../../src/core/write-step.js';
import { CORPUS, ROOT, tempDirs } from '../support/corpus.js';

const FIXTURE = path.join(ROOT, 'tests/fixtures/writer-golden.json');
const RECORD = process.env.PHOTOTAG_RECORD_GOLDEN === '1';
const EXIFTOOL = path.join(path.dirname(createRequire(import.meta.url).resolve('exiftool-vendored.pl/package.json')), 'bin', 'exiftool');
/** The file system's facts and what moves with the length of ExifTool's version string. */
const NOT_CONTENT = /^(SourceFile|System:.*|ExifTool:ExifToolVersion|XMP-x:XMPToolkit|File:FileSize|.*(Offset|Offsets|ByteCount|Length)$)/u;

const result = {
  en: {
    title: 'Harbour at dawn',
    description: 'Fishing boats moored in a calm harbour at dawn, R&B on the radio — "quiet".',
    keywords: ['harbour', 'boats', 'dawn', 'Harbour', 'sea'],
  },
  ru: { title: 'Гавань на рассвете', description: 'Рыбацкие лодки в тихой гавани на рассвете.', keywords: ['гавань', 'лодки', 'рассвет'] },
};

interface Golden {
  outcome: string;
  sha256?: string;
  tags?: Record<string, unknown>;
}
interface Fixture {
  exiftool: string;
  photos: Record<string, Golden>;
}

/** Every corpus photo (sidecars are not photos), and two JPEGs once more through a sidecar (new, and existing). */
function cases(): { name: string; sidecar: boolean }[] {
  const out: { name: string; sidecar: boolean }[] = [];
  for (const folder of fs.readdirSync(CORPUS, { withFileTypes: true })) {
    if (!folder.isDirectory() || folder.name === 'LICENSES') continue;
    for (const file of fs.readdirSync(path.join(CORPUS, folder.name)).sort())
      if (!file.endsWith('.xmp')) out.push({ name: `${folder.name}/${file}`, sidecar: false });
  }
  out.push({ name: 'with-metadata/canon-eos600d-squirrel-with-sidecar.jpg', sidecar: true });
  out.push({ name: 'jpeg/nikon-d5000.jpg', sidecar: true });
  return out.sort((a, b) => key(a).localeCompare(key(b)));
}

const key = (c: { name: string; sidecar: boolean }) => (c.sidecar ? `${c.name} (sidecar)` : c.name);

function dump(file: string): Record<string, unknown> {
  const out = spawnSync(EXIFTOOL, ['-j', '-G1', '-a', '-n', '-q', '-q', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const row = (JSON.parse(out.stdout) as Record<string, unknown>[])[0]!;
  return Object.fromEntries(Object.entries(row).filter(([tag]) => !NOT_CONTENT.test(tag) || tag === 'File:FileSize'));
}

const content = (tags: Record<string, unknown> | undefined) =>
  Object.fromEntries(Object.entries(tags ?? {}).filter(([tag]) => !NOT_CONTENT.test(tag)));

/** The pipeline's write path for one photo: hash, read, probe a file ExifTool warned about, digest the pixels, write verified. */
async function writeOne(tool: MetadataTool, dir: string, c: { name: string; sidecar: boolean }): Promise<Golden> {
  const file = path.join(dir, path.basename(c.name));
  fs.copyFileSync(path.join(CORPUS, c.name), file);
  fs.chmodSync(file, 0o644);
  if (c.sidecar && c.name.includes('with-sidecar')) {
    const xmp = c.name.replace(/\.jpg$/u, '.xmp');
    fs.copyFileSync(path.join(CORPUS, xmp), path.join(dir, path.basename(xmp)));
  }
  const stat = fs.statSync(file);
  try {
    const digests = await hashPhoto(file);
    const meta = await tool.read(file, { fast: digests.plainJpeg });
    const format = formatOf(meta.fileType);
    if (!format) return { outcome: `unsupported ${meta.fileType ?? '?'}` };
    const useSidecar = format.sidecarOnly || c.sidecar;
    if (!useSidecar && !format.inFile) return { outcome: `not writable in file (${format.name})` };
    const where = { file, useSidecar, sidecarName: 'base' as const };
    const state = await firstState(where, stat, meta.tags, tool);
    const warning = meta.tags['ExifTool:Warning'];
    const probe =
      !useSidecar && warning !== undefined && !String(warning).startsWith('[minor]')
        ? await probeInFileWrite(tool, file, format)
        : undefined;
    const writeFormat = probe && !probe.iptc ? { ...format, iptc: false } : format;
    const digest = useSidecar ? undefined : await imageDataHash(file, format, tool, digests);
    const step = await writeChecked(
      result,
      state,
      where,
      { file, format: writeFormat, languages: ['en', 'ru'], overwrite: false, keepOriginal: false, imageDataHash: digest },
      tool,
    );
    if (step.status !== 'written') return { outcome: step.status };
    const target = state.sidecar?.path ?? file;
    return {
      outcome: `written ${step.report.fieldsWritten.join(',')}`,
      sha256: createHash('sha256').update(fs.readFileSync(target)).digest('hex'),
      tags: dump(target),
    };
  } catch (error) {
    return { outcome: `failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const dirs = tempDirs('phototag-golden-');
let tool: MetadataTool | undefined;
afterAll(async () => {
  await tool?.close();
});

describe('the writer on every corpus photo', () => {
  it('writes what it wrote before the ExifTool work was cut: the same bytes (same ExifTool), the same tags', async () => {
    tool = new MetadataTool(2);
    const version = spawnSync(EXIFTOOL, ['-ver'], { encoding: 'utf8' }).stdout.trim();
    const got: Record<string, Golden> = {};
    // Two photos at a time (two ExifTool processes): each in a folder of its own.
    const queue = cases();
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) got[key(c)] = await writeOne(tool!, dirs(), c);
    };
    await Promise.all([worker(), worker()]);
    if (RECORD)
      fs.writeFileSync(
        FIXTURE,
        `${JSON.stringify({ exiftool: version, photos: Object.fromEntries(Object.entries(got).sort(([a], [b]) => a.localeCompare(b))) } satisfies Fixture, null, 1)}\n`,
      );
    const golden = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Fixture;
    expect(Object.keys(got).sort()).toEqual(Object.keys(golden.photos).sort());
    for (const [name, want] of Object.entries(golden.photos)) {
      const have = got[name]!;
      expect(have.outcome, name).toBe(want.outcome);
      expect(content(have.tags), name).toEqual(content(want.tags));
      if (version === golden.exiftool) expect(have.sha256, name).toBe(want.sha256);
    }
    // A new RAW sidecar keeps what only the maker notes hold (ExifTool's -fast2 would drop it): the lens.
    const r6 = got['raw/canon-eos-r6-gps-with-preview.cr3']!.tags!;
    expect(r6['XMP-exifEX:LensModel']).toBe('EF100mm f/2.8L Macro IS USM');
    expect(r6['XMP-aux:Lens']).toBe('100.0 mm');
    expect(got['raw/nikon-d70-exiftool-sample.nef']!.tags!['XMP-aux:Lens']).toBe('18-70mm f/3.5-4.5');
    // The corpus does reach every kind of write: in-file, a new sidecar from a RAW, an existing sidecar.
    const written = Object.entries(golden.photos).filter(([, g]) => g.outcome.startsWith('written'));
    expect(written.some(([name]) => name.endsWith('.cr3'))).toBe(true);
    expect(written.some(([name]) => name.includes('with-sidecar.jpg (sidecar)'))).toBe(true);
    expect(written.length).toBeGreaterThan(40);
  }, 900_000);
});
