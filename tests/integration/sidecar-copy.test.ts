// A new RAW sidecar is made by ExifTool copying the RAW's tags (issue 13): phototag's ExifTool config skips the
// tags that cannot reach XMP, and a DNG's "[Minor] Not decoding some large array(s)" no longer costs a validation
// pass and a second write. Both must leave the sidecar byte for byte what plain ExifTool makes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DefaultExiftoolArgs, ExifTool } from 'exiftool-vendored';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cleanMessage, EXIFTOOL_CONFIG, exiftoolError, MetadataTool } from '../../src/core/exiftool.js';
import { formatOf } from '../../src/core/formats.js';
import { firstState, writeChecked } from '../../src/core/write-step.js';
import { CORPUS, copyCorpus, ROOT, tempDirs } from '../support/corpus.js';

const EXIFTOOL = path.join(path.dirname(createRequire(import.meta.url).resolve('exiftool-vendored.pl/package.json')), 'bin', 'exiftool');
const dirs = tempDirs('phototag-sidecar-copy-');
/** Every corpus photo (RAW, and any other format a `--sidecar` run gives a new sidecar), and the truncated ones. */
const PHOTOS = fs
  .readdirSync(CORPUS, { withFileTypes: true })
  .filter((folder) => folder.isDirectory() && folder.name !== 'LICENSES')
  .flatMap((folder) => fs.readdirSync(path.join(CORPUS, folder.name)).map((name) => `${folder.name}/${name}`))
  .filter((name) => !name.endsWith('.xmp'))
  .sort();
const TAGS = { 'XMP-dc:Title': 'Harbour at dawn', 'XMP-dc:Subject': ['harbour', 'boats'] };

/** ExifTool without any config, written to as phototag's writer did before: the reference sidecar and its warnings. */
const plain = new ExifTool({ exiftoolArgs: ['-config', '', ...DefaultExiftoolArgs], ignoreMinorErrors: false, useMWG: false });
async function plainSidecar(photo: string, out: string): Promise<string[]> {
  const result = await plain.write(photo, TAGS as never, { writeArgs: ['-a', '-o', out], ignoreMinorErrors: false, useMWG: false });
  return (result.warnings ?? []).map(cleanMessage);
}

let tool: MetadataTool | undefined;
afterAll(async () => {
  await tool?.close();
  await plain.end();
});

describe('a new RAW sidecar', () => {
  it('is the same bytes, with the same warnings, as ExifTool without the config makes, for every corpus photo', async () => {
    tool = new MetadataTool();
    for (const name of PHOTOS) {
      const dir = dirs();
      const [photo] = copyCorpus(dir, [name]);
      const mine = path.join(dir, 'mine.xmp');
      const reference = path.join(dir, 'reference.xmp');
      const outcome = (work: Promise<string[]>) =>
        work.then(
          (warnings) => warnings.sort(),
          (error: unknown) => `error: ${exiftoolError(error)}`,
        );
      const got = await outcome(tool.write(photo!, TAGS, { outFile: mine, minorErrors: 'stop', sidecarCopy: true }));
      const expected = await outcome(plainSidecar(photo!, reference));
      expect(got, name).toEqual(expected);
      expect(fs.existsSync(mine), name).toBe(fs.existsSync(reference));
      if (fs.existsSync(reference)) expect(fs.readFileSync(mine).equals(fs.readFileSync(reference)), name).toBe(true);
    }
    // What only the maker notes hold (the lens) is copied.
    const dir = dirs();
    const [r6] = copyCorpus(dir, ['raw/canon-eos-r6-gps-with-preview.cr3']);
    await tool.write(r6!, TAGS, { outFile: path.join(dir, 'r6.xmp'), minorErrors: 'stop', sidecarCopy: true });
    const lens = spawnSync(EXIFTOOL, ['-j', '-G1', '-XMP-exifEX:LensModel', '-XMP-aux:Lens', path.join(dir, 'r6.xmp')], {
      encoding: 'utf8',
    });
    expect(JSON.parse(lens.stdout)[0]).toMatchObject({ 'XMP-exifEX:LensModel': 'EF100mm f/2.8L Macro IS USM', 'XMP-aux:Lens': '100.0 mm' });
  }, 300_000);

  it("skips the RAW's tags that cannot reach XMP only when asked to (ExifTool's verbose log shows what it set)", () => {
    const [raw] = copyCorpus(dirs(), ['raw/nikon-d70-exiftool-sample.nef']);
    const log = (extra: string[]) =>
      spawnSync(EXIFTOOL, ['-config', EXIFTOOL_CONFIG, '-v3', ...extra, '-o', path.join(dirs(), 'x.xmp'), raw!], { encoding: 'utf8' })
        .stdout;
    const setting = (text: string) => text.split('\n').filter((line) => /^(Sorry|Writing|\s*Writing)/u.test(line.trim())).length;
    const full = log([]);
    const filtered = log(['-userParam', 'PhototagSidecarCopy=1']);
    expect(setting(filtered)).toBeGreaterThan(0);
    expect(setting(filtered)).toBeLessThan(setting(full));
    // A maker-note setting with no XMP tag of its name is not even tried; one that has (the lens) still is.
    expect(full).toMatch(/LensFStops/u);
    expect(filtered).not.toMatch(/LensFStops/u);
    expect(filtered).toMatch(/Writing XMP-aux:Lens\b/u);
  });

  it("loads the user's own ExifTool config too (EXIFTOOL_HOME), which -config would otherwise replace", () => {
    const home = dirs();
    fs.writeFileSync(
      path.join(home, '.ExifTool_config'),
      `%Image::ExifTool::UserDefined = ('Image::ExifTool::Composite' => { PhototagHomeConfig => { Require => 'FileName', ValueConv => '"loaded"' } });\n1;\n`,
    );
    const [raw] = copyCorpus(dirs(), ['raw/nikon-d70-exiftool-sample.nef']);
    const run = spawnSync(EXIFTOOL, ['-config', EXIFTOOL_CONFIG, '-s3', '-PhototagHomeConfig', raw!], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, EXIFTOOL_HOME: home },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('loaded');
  });

  it('never runs a .ExifTool_config (Perl code) from the folder phototag was started in', async () => {
    const folder = dirs();
    const marker = path.join(dirs(), 'ran');
    fs.writeFileSync(path.join(folder, '.ExifTool_config'), `open(my $f, '>', ${JSON.stringify(marker)}); close $f;\n1;\n`);
    copyCorpus(folder, ['jpeg/nikon-d5000.jpg']);
    const script = `const { MetadataTool } = require(${JSON.stringify(path.join(ROOT, 'dist/core/exiftool.js'))});
      const tool = new MetadataTool(1);
      tool.read('nikon-d5000.jpg').then((meta) => tool.close().then(() => console.log(meta.fileType)));`;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: folder, encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('JPEG');
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('from a DNG whose big arrays ExifTool does not decode without -m: one write, no validation pass, the bytes -m makes', async () => {
    const local = new MetadataTool();
    try {
      const dir = dirs();
      const [file] = copyCorpus(dir, ['raw/apple-iphone12pro-dng-pruned.dng']);
      const validate = vi.spyOn(local, 'validate');
      const write = vi.spyOn(local, 'write');
      const meta = await local.read(file!);
      const where = { file: file!, useSidecar: true, sidecarName: 'base' as const };
      const state = await firstState(where, fs.statSync(file!), meta.tags, local);
      const result = { en: { title: 'Harbour at dawn', description: 'Boats in a harbour.', keywords: ['harbour', 'boats'] } };
      const step = await writeChecked(
        result,
        state,
        where,
        { file: file!, format: formatOf(meta.fileType)!, languages: ['en'], overwrite: false, keepOriginal: false },
        local,
      );
      expect(step.status).toBe('written');
      expect(step.status === 'written' && step.report.warnings).toContain(
        '[Minor] Not decoding some large array(s). Ignore minor errors to decode',
      );
      expect(validate).not.toHaveBeenCalled();
      expect(write).toHaveBeenCalledTimes(1);
      // The same sidecar as ExifTool's -m write (which decodes the arrays) would make from the same tags.
      const written = write.mock.calls[0]![1] as Record<string, unknown>;
      const args = Object.entries(written).flatMap(([tag, value]) =>
        (Array.isArray(value) ? value : [value]).map((v) => `-${tag}=${String(v)}`),
      );
      const reference = path.join(dir, 'reference.xmp');
      spawnSync(EXIFTOOL, [
        '-config',
        '',
        '-charset',
        'filename=utf8',
        '-sep',
        '\x1f',
        '-E',
        '-api',
        'struct=2',
        ...args,
        '-a',
        '-m',
        '-o',
        reference,
        file!,
      ]);
      expect(fs.readFileSync(state.sidecar!.path).equals(fs.readFileSync(reference))).toBe(true);
    } finally {
      await local.close();
    }
  });
});
