// The bench's photos: one fixed mixed batch of real photos from the repo's corpus, and generated small JPEGs
// for the runs where only the count matters.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tests/fixtures/corpus');

/**
 * The fixed batch, in the order it is given to `phototag tag`: each format group's copies together, so at
 * concurrency 1 the time between two model calls of the same group is that group's own local work.
 */
export const BATCH_GROUPS = [
  {
    id: 'jpegLarge',
    label: '8–12 MP JPEG',
    copies: 3,
    sources: [
      'jpeg/apple-iphone6-gps-3264x2448.jpg',
      'jpeg/canon-eos1000d-orientation6-3888x2592.jpg',
      'jpeg/no-metadata-japanese-shop-4217x2817.jpg',
    ],
  },
  {
    id: 'jpegSmall',
    label: '0.7–5 MP JPEG',
    copies: 3,
    sources: ['jpeg/samsung-sm-j327t1-orientation6.jpg', 'jpeg/fujifilm-finepix2650.jpg', 'jpeg/htc-desire-gps.jpg'],
  },
  {
    id: 'heic',
    label: '12 MP HEIC',
    copies: 3,
    sources: ['heic/apple-iphone7-gps.heic', 'heic/apple-iphone7plus-orientation6-gps.heic'],
  },
  { id: 'cr3', label: '20 MP CR3, its embedded preview', copies: 4, sources: ['raw/canon-eos-r6-gps-with-preview.cr3'] },
];

/** The batch's smallest photo, tagged alone to measure a run's fixed cost (Node, ExifTool, SQLite start-up). */
export const STARTUP_PHOTO = 'jpeg/htc-desire-gps.jpg';

/** The same pixels with a distinct JPEG comment segment: distinct content, so no copy is a cache hit. */
export function withComment(jpeg, text) {
  const body = Buffer.from(text, 'utf8');
  const segment = Buffer.alloc(4 + body.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(body.length + 2, 2);
  body.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

/**
 * Write the batch into `dir` once: every copy has distinct bytes (the cache is keyed by the file's hash, and
 * identical photos in flight share one model call). JPEGs get a comment segment, HEIC a distinct XMP label
 * written by ExifTool, the CR3 a few bytes at its end. Returns [{ name, group }] in batch order.
 */
export async function writeBatch(dir, groups = BATCH_GROUPS) {
  fs.mkdirSync(dir, { recursive: true });
  const { ExifTool } = await import('exiftool-vendored');
  const exiftool = new ExifTool({ maxProcs: 1 });
  const batch = [];
  try {
    for (const group of groups) {
      for (let copy = 0; copy < group.copies; copy++) {
        for (const source of group.sources) {
          const name = `${group.id}-${copy}-${path.basename(source)}`;
          const target = path.join(dir, name);
          const bytes = fs.readFileSync(path.join(CORPUS, source));
          if (/\.jpe?g$/i.test(source)) {
            fs.writeFileSync(target, withComment(bytes, `phototag bench copy ${copy}`));
          } else if (/\.cr3$/i.test(source)) {
            // The corpus's CR3 is pruned: its last box (mdat, the raw data) runs 30 MB past the end of the file,
            // so ExifTool will not write into it; bytes appended fall inside that box and change nothing read.
            fs.writeFileSync(target, Buffer.concat([bytes, Buffer.from(`phototag bench copy ${copy}`)]));
          } else {
            fs.writeFileSync(target, bytes);
            await exiftool.write(target, { 'XMP-xmp:Label': `phototag bench copy ${copy}` }, { writeArgs: ['-overwrite_original'] });
          }
          fs.chmodSync(target, 0o644);
          batch.push({ name, group: group.id, source });
        }
      }
    }
  } finally {
    await exiftool.end();
  }
  return batch;
}

/**
 * A fresh copy of the batch (photos are written to, so each run needs its own), each photo in a folder named
 * after it: the prompt names a photo's folder, so the fake server's calls say which photo each was for.
 * Absolute paths in batch order.
 */
export function copyBatch(templateDir, batch, dir) {
  return batch.map(({ name }) => {
    const target = path.join(dir, name, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(templateDir, name), target);
    return target;
  });
}

/** The photo (batch name) a model call was for, from the "Folder: … / <name>." line of its prompt. */
export function photoOfCall(call) {
  return /^Folder: (?:.* \/ )?(.+)\.$/m.exec(call.prompt ?? '')?.[1];
}

/** One corpus photo copied into `dir`, for the start-up run. */
export function copyCorpusPhoto(source, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, path.basename(source));
  fs.copyFileSync(path.join(CORPUS, source), target);
  fs.chmodSync(target, 0o644);
  return target;
}

/** `count` distinct small JPEGs in `dir`: 16 colours, each copy with a comment of its own (quicker than encoding each). */
export async function smallPhotos(dir, count, prefix = 'p') {
  const sharp = (await import('sharp')).default;
  fs.mkdirSync(dir, { recursive: true });
  const bases = [];
  for (let i = 0; i < Math.min(count, 16); i++) {
    const background = { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 13) % 256 };
    bases.push(
      await sharp({ create: { width: 320, height: 240, channels: 3, background } })
        .jpeg({ quality: 70 })
        .toBuffer(),
    );
  }
  const files = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `${prefix}${String(i).padStart(5, '0')}.jpg`);
    fs.writeFileSync(file, withComment(bases[i % bases.length], `phototag bench ${i}`));
    files.push(file);
  }
  return files;
}
