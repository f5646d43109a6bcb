import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/core/csv.js';
import { copyCorpus, ROOT, tempDirs } from '../support/corpus.js';
import { runCli, type CliRun as Run } from '../support/cli-run.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

const EXIFTOOL = path.join(ROOT, 'node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool');

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const tempDir = tempDirs('phototag-apply-');

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

const phototag = (args: string[], cwd: string, data: string): Promise<Run> =>
  runCli(args, { cwd, dataDir: data, key: 'sk-or-v1-apply-secret' });

const dryRun = (cwd: string, data: string, csv: string, ...files: string[]) =>
  phototag(
    [
      'tag',
      '--provider',
      'openrouter',
      '--base-url',
      fake.url,
      '--model',
      'fake/vision',
      '--rpm',
      '0',
      '--dry-run',
      '--export',
      csv,
      ...files,
    ],
    cwd,
    data,
  );

function title(file: string): string | undefined {
  const out = spawnSync('perl', [EXIFTOOL, '-j', '-XMP-dc:Title', '-IPTC:ObjectName', file], { encoding: 'utf8' }).stdout;
  const [tags] = JSON.parse(out) as { Title?: string; ObjectName?: string }[];
  expect(tags?.ObjectName).toBe(tags?.Title);
  return tags?.Title;
}

describe('phototag apply', () => {
  it('applies a corrected CSV again: the fix is written, and a CSV the photo already holds writes nothing', async () => {
    const work = tempDir();
    const data = path.join(work, 'data');
    const [photo] = copyCorpus(work, ['jpeg/nikon-d5000.jpg']);
    const csv = path.join(work, 'review.csv');
    expect((await dryRun(work, data, csv, photo!)).code).toBe(0);
    fs.writeFileSync(csv, fs.readFileSync(csv, 'utf8').replace('Photo 858x570', 'Camra on a desk'));
    const first = await phototag(['apply', 'review.csv'], work, data);
    expect(first.code).toBe(0);
    expect(title(photo!)).toBe('Camra on a desk');

    // The typo fixed, the same CSV applied again: written, not "unchanged since it was tagged".
    fs.writeFileSync(csv, fs.readFileSync(csv, 'utf8').replace('Camra', 'Camera'));
    const second = await phototag(['apply', 'review.csv'], work, data);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('tagged "Camera on a desk"');
    expect(title(photo!)).toBe('Camera on a desk');

    const third = await phototag(['apply', 'review.csv'], work, data);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('skipped, already holds exactly what the review says');
  }, 180_000);

  it('reads a semicolon CSV with a BOM and relative paths from another folder; refuses only new image data', async () => {
    const work = tempDir();
    const data = path.join(work, 'data');
    const set = path.join(work, 'set');
    fs.mkdirSync(set);
    const [kept, edited, repainted] = copyCorpus(set, [
      ['jpeg/nikon-d5000.jpg', 'kept.jpg'],
      ['jpeg/htc-desire-gps.jpg', 'Фото из поездки.jpg'],
      ['jpeg/olympus-pen-e-p3.jpg', 'repainted.jpg'],
    ]);
    expect((await dryRun(set, data, 'export.csv', kept!, edited!, repainted!)).code).toBe(0);
    // As Excel saves it in a Russian locale ("CSV UTF-8"): semicolons, a BOM, CRLF; paths made relative.
    const rows = parseCsv(fs.readFileSync(path.join(set, 'export.csv'), 'utf8'));
    const header = rows[0]!;
    const relative = rows.map((row, i) => (i === 0 ? row : [path.basename(row[0]!), ...row.slice(1)]));
    relative.find((row) => row[0] === 'Фото из поездки.jpg')![header.indexOf('title:en')] = 'Дорога в горах';
    fs.writeFileSync(path.join(set, 'review.csv'), '\uFEFF' + relative.map((row) => row.join(';')).join('\r\n') + '\r\n');
    // A person's edit of other metadata since the export does not void the proposal; new pixels do.
    spawnSync('perl', [EXIFTOOL, '-q', '-overwrite_original', '-XMP-xmp:Rating=2', edited!]);
    spawnSync('convert', [repainted!, '-quality', '70', repainted!]);

    const run = await phototag(['apply', path.join('set', 'review.csv')], work, data);
    expect(run.code).toBe(1);
    expect(title(edited!)).toBe('Дорога в горах');
    expect(title(kept!)).toBe('Photo 858x570');
    expect(title(repainted!)).toBeUndefined();
    expect(run.stderr).toContain("repainted.jpg: the photo's image data changed since the proposal was made");

    const excelAnsi = path.join(set, 'ansi.csv');
    fs.writeFileSync(excelAnsi, Buffer.from([0x66, 0x69, 0x6c, 0x65, 0x3b, 0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x0d, 0x0a]));
    const ansi = await phototag(['apply', excelAnsi], work, data);
    expect(ansi.code).toBe(2);
    expect(ansi.stderr).toContain('not UTF-8 text');
  }, 180_000);
});
