import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExifTool } from 'exiftool-vendored';
import { afterAll } from 'vitest';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// A copy of shared/corpus (files, MANIFEST.tsv, LICENSES) lives in the repo so a fresh clone tests alone.
export const CORPUS = path.resolve(ROOT, 'tests/fixtures/corpus');

/** Six small camera JPEGs of distinct content (no cache hit, no shared answer between them), as corpus names. */
export const SIX_JPEGS = [
  'htc-desire-gps.jpg',
  'nikon-d5000.jpg',
  'olympus-pen-e-p3.jpg',
  'fujifilm-finepix2650.jpg',
  'sony-dsc-hx5v-gps.jpg',
  'panasonic-dmc-lc70.jpg',
].map((name) => `jpeg/${name}`);

/** A fresh temp folder, removed by the caller's afterEach/afterAll through `cleanup`. */
export function tempDir(prefix = 'phototag-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A maker of temp folders for one test file; every folder it made is removed after the file's tests. */
export function tempDirs(prefix?: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = tempDir(prefix);
    dirs.push(dir);
    return dir;
  };
}

/** Copy corpus files (never modified in place) into `dir`, writable, optionally under new names. */
export function copyCorpus(dir: string, files: (string | [string, string])[]): string[] {
  return files.map((entry) => {
    const [from, to] = Array.isArray(entry) ? entry : [entry, path.basename(entry)];
    const target = path.join(dir, to);
    fs.copyFileSync(path.join(CORPUS, from), target);
    fs.chmodSync(target, 0o644);
    return target;
  });
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

let exiftool: ExifTool | undefined;
/** An ExifTool of the test's own (not phototag's adapter) to read what was written. */
export function testExifTool(): ExifTool {
  exiftool ??= new ExifTool({ maxProcs: 2 });
  return exiftool;
}

export async function closeTestExifTool(): Promise<void> {
  await exiftool?.end();
  exiftool = undefined;
}

export async function readTags(file: string): Promise<Record<string, unknown>> {
  return (await testExifTool().readRaw(file, {
    readArgs: [
      '-G1',
      '-a',
      '-XMP-dc:all',
      '-XMP-lr:all',
      '-IPTC:all',
      '-IFD0:ImageDescription',
      '-api',
      'ImageHashType=SHA256',
      '-ImageDataHash',
    ],
  })) as Record<string, unknown>;
}

export function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** exiv2, an independent reader (Debian's exiv2 package; .ci/run installs it). */
export function exiv2(file: string): string {
  const result = spawnSync('exiv2', ['-q', '-pa', file], { encoding: 'utf8' });
  if (result.error) throw new Error(`exiv2 is needed for this test (apt-get install exiv2): ${result.error.message}`);
  return result.stdout;
}
