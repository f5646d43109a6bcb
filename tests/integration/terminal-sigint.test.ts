import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNativeHeifDecoder } from '../../src/core/decoders/heif-native.js';
import { CORPUS, copyCorpus, ROOT, tempDirs } from '../support/corpus.js';

// Ctrl-C at a terminal sends SIGINT to every process of the foreground process group: phototag and the helper
// processes it started. phototag lets the photos in progress finish, so its helpers must live on: a killed
// ExifTool failed the write in progress ("Process terminated before task completed", and the photo lost its
// EXIF description), a killed HEIC decoder failed the photo as corrupt.

const workDir = tempDirs();

/**
 * In a process group of its own (so the test's own group is spared): start ExifTool and the HEIC decoders on
 * phototag's built modules, send SIGINT to the whole group as the terminal would, as phototag ignore it as a
 * run does, then finish the work and print what came of it.
 */
const SCRIPT = `
const fs = require('node:fs');
const [dist, photo, out, heic, native] = process.argv.slice(1);
const { MetadataTool } = require(dist + '/core/exiftool.js');
// The decoders themselves: through prepare.ts they take turns (one at a time), and here both must be running at once.
const { decodeHeif } = require(dist + '/core/decoders/heif.js');
const { findNativeHeifDecoder, withNativeHeifDecode } = require(dist + '/core/decoders/heif-native.js');
const { loadSharp } = require(dist + '/core/prepare.js');
const size = (image) => image.width + 'x' + image.height;
const decode = {
  wasm: () => decodeHeif(heic).then(size),
  native: () => withNativeHeifDecode(findNativeHeifDecoder(), heic, async (jpeg) => size(await (await loadSharp())(jpeg).metadata())),
};
process.on('SIGINT', () => {}); // phototag's launcher: the photos in progress finish
function children(match) {
  return fs.readdirSync('/proc').filter((name) => /^\\d+$/.test(name)).filter((name) => {
    try {
      const stat = fs.readFileSync('/proc/' + name + '/stat', 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && match.test(fs.readFileSync('/proc/' + name + '/cmdline', 'utf8'));
    } catch { return false; }
  });
}
(async () => {
  const tool = new MetadataTool(1);
  await tool.read(photo);
  const decoders = ['wasm', ...(native === 'yes' ? ['native'] : [])];
  const decodes = decoders.map((decoder) => decode[decoder]().catch((e) => String(e.message)));
  // Every helper is running: ExifTool and each decoder.
  const wanted = [/exiftool/, /heic-decode/, ...(native === 'yes' ? [/heif-(dec|convert)/] : [])];
  while (!wanted.every((m) => children(m).length > 0)) await new Promise((r) => setTimeout(r, 2));
  process.kill(0, 'SIGINT');
  await new Promise((r) => setTimeout(r, 300));
  let written;
  try {
    await tool.write(photo, { 'XMP-dc:Title': 'After Ctrl-C' }, { outFile: out, minorErrors: 'stop' });
    written = (await tool.read(out)).tags['XMP-dc:Title'];
  } catch (error) { written = String(error.message).slice(0, 200); }
  const decoded = Object.fromEntries(decoders.map((d, i) => [d, undefined]));
  const results = await Promise.all(decodes);
  decoders.forEach((d, i) => (decoded[d] = results[i]));
  await tool.close();
  console.log(JSON.stringify({ written, decoded }));
})();
`;

describe('a Ctrl-C at the terminal does not cut off a photo in progress', () => {
  it('ExifTool and the HEIC decoders live on through the SIGINT to the process group, and finish their photos', async () => {
    const dir = workDir();
    const [photo] = copyCorpus(dir, ['jpeg/nikon-d5000.jpg']);
    const native = findNativeHeifDecoder() ? 'yes' : 'no';
    const child = spawn(
      process.execPath,
      [
        '-e',
        SCRIPT,
        path.join(ROOT, 'dist'),
        photo!,
        path.join(dir, 'written.jpg'),
        path.join(CORPUS, 'heic/apple-iphone7-gps.heic'),
        native,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(stdout) as { written: string; decoded: Record<string, string> };
    expect(result.written).toBe('After Ctrl-C');
    expect(result.decoded).toEqual(native === 'yes' ? { wasm: '4032x3024', native: '4032x3024' } : { wasm: '4032x3024' });
  });
});

/**
 * The launcher's second Ctrl-C exits at once (process.exit(130)) while native HEIC decodes run: they are in
 * sessions of their own, so nothing else ends them.
 */
const EXIT_NOW = `
const fs = require('node:fs');
const [dist, ...files] = process.argv.slice(1);
const { findNativeHeifDecoder, withNativeHeifDecode } = require(dist + '/core/decoders/heif-native.js');
let interrupts = 0;
process.on('SIGINT', () => { if (++interrupts > 1) process.exit(130); });
// This run's own decoders (their output is under its TMPDIR), not those of a test running beside it: every one seen.
const seen = new Set();
const decoding = () => {
  for (const name of fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n))) {
    try { const cmd = fs.readFileSync('/proc/' + name + '/cmdline', 'utf8'); if (/heif-(dec|convert)/.test(cmd) && cmd.includes(process.env.TMPDIR)) seen.add(name); } catch {}
  }
  return seen.size;
};
for (const file of files) withNativeHeifDecode(findNativeHeifDecoder(), file, async () => undefined).catch(() => undefined);
(async () => {
  while (decoding() < files.length) await new Promise((r) => setTimeout(r, 2));
  process.kill(0, 'SIGINT');
  process.kill(0, 'SIGINT');
})();
`;

describe('a second Ctrl-C (exit at once) takes the HEIC decoders and their temp folders with it', () => {
  it.skipIf(!findNativeHeifDecoder())('no decoded copy of a photo is left in the temp folder', async () => {
    const tmp = workDir();
    const heics = ['apple-iphone7-gps.heic', 'apple-iphone7plus-orientation6-gps.heic', 'apple-iphone11pro-exif-at-eof-gps.heic'];
    const child = spawn(
      process.execPath,
      ['-e', EXIT_NOW, path.join(ROOT, 'dist'), ...heics.map((name) => path.join(CORPUS, 'heic', name))],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TMPDIR: tmp },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 130, stderr: '' });
    // Any decoder still running writes into this run's temp folder (its output path is under it): wait for it to end.
    const running = () =>
      fs
        .readdirSync('/proc')
        .filter((name) => /^\d+$/u.test(name))
        .some((name) => {
          try {
            return fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(tmp);
          } catch {
            return false;
          }
        });
    for (let waited = 0; running() && waited < 600; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(running()).toBe(false);
    expect(fs.readdirSync(tmp).filter((name) => name.startsWith('phototag-heif-'))).toEqual([]);
  });
});
