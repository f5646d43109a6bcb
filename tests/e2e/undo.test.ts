import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, CORPUS, ROOT, sha256, tempDirs } from '../support/corpus.js';
import { runCli, type CliRun as Run } from '../support/cli-run.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

const EXIFTOOL = path.join(ROOT, 'node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool');
const SECRET = 'sk-or-v1-undo-secret-abcdef';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
const tempDir = tempDirs('phototag-undo-');

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

const phototag = (args: string[], work: string): Promise<Run> => runCli(args, { cwd: work, dataDir: path.join(work, 'data'), key: SECRET });

const tag = (work: string, ...args: string[]) =>
  phototag(['tag', '--provider', 'openrouter', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0', ...args], work);

/** Every tag ExifTool finds (`-a -G1`), sorted, without the file system's times. */
function dump(file: string): string[] {
  const out = spawnSync('perl', [EXIFTOOL, '-a', '-G1', '-s', file], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((line) => line && !/^\[System\]\s+File(Modify|Access|InodeChange)Date\s/u.test(line))
    .sort();
}

function exiftool(...args: string[]): void {
  const result = spawnSync('perl', [EXIFTOOL, '-q', '-overwrite_original', ...args], { encoding: 'utf8' });
  expect(result.status).toBe(0);
}

/** Nothing but the photos (and their sidecars) the test put there: no temp, no _original. */
function leftovers(work: string): string[] {
  return fs.readdirSync(work).filter((name) => name.includes('.phototag-') || name.endsWith('_original'));
}

function json(run: Run): Record<string, unknown>[] {
  return run.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('phototag show', () => {
  it('shows what was written, what was there before, and what a person changed since (read from the photo)', async () => {
    const work = tempDir();
    const [photo] = copyCorpus(work, ['jpeg/nikon-d5000.jpg']);
    expect((await tag(work, '--lang', 'en,ru', photo!)).code).toBe(0);
    exiftool('-XMP-dc:Title-x-default=My own title', photo!);

    const shown = await phototag(['show', '--json', photo!], work);
    expect(shown.code).toBe(0);
    const [record] = json(shown) as { writes: Record<string, unknown>[]; now: Record<string, unknown> }[];
    expect(record!.writes).toHaveLength(1);
    const write = record!.writes[0] as {
      kind: string;
      model: string;
      provider: string;
      runId: number;
      result: Record<string, { title: string }>;
      fields: { tag: string; before: unknown; written: unknown; now: unknown; changedSince: boolean }[];
    };
    expect(write).toMatchObject({ kind: 'tag', model: 'fake/vision', provider: 'openrouter', state: 'done', exactUndo: true });
    expect(write.runId).toBeGreaterThan(0);
    expect(write.result.ru!.title).toBe('Фото 858x570');
    const title = write.fields.find((f) => f.tag === 'XMP-dc:Title')!;
    expect(title).toMatchObject({ before: null, written: 'Photo 858x570', now: 'My own title', changedSince: true });
    const description = write.fields.find((f) => f.tag === 'IFD0:ImageDescription')!;
    expect(description).toMatchObject({ written: 'A photograph of width 858x570.', changedSince: false });
    expect(record!.now).toMatchObject({ title: 'My own title' });

    const text = await phototag(['show', photo!], work);
    expect(text.stdout).toContain('tagged');
    expect(text.stdout).toContain('fake/vision (openrouter)');
    expect(text.stdout).toMatch(/XMP-dc:Title\s+before: \(absent\)\s+→\s+"Photo 858x570"\s+· changed since, now: "My own title"/u);
    expect(text.stdout).toContain('ru  title        "Фото 858x570"');
  }, 180_000);

  it('says so for a photo phototag never wrote, and exits 1 for a path that is neither on disk nor recorded', async () => {
    const work = tempDir();
    const [photo] = copyCorpus(work, ['jpeg/htc-desire-gps.jpg']);
    const run = await phototag(['show', photo!, path.join(work, 'missing.jpg')], work);
    expect(run.stdout).toContain('phototag has recorded no write to this photo');
    expect(run.code).toBe(1);
  });
});

describe('phototag undo', () => {
  it('puts every tag back exactly as it was: legacy IPTC, no metadata, a Cyrillic title and name, RAW sidecars', async () => {
    const work = tempDir();
    const photos = copyCorpus(work, [
      'with-metadata/nikon-e995-iptc-caption-latin1-no-charset.jpg',
      'jpeg/no-metadata-japanese-shop-4217x2817.jpg',
      ['jpeg/htc-desire-gps.jpg', 'Москва зимой.jpg'],
      ['raw/canon-eos-r6-gps-with-preview.cr3', 'new-sidecar.cr3'],
      ['raw/canon-eos-r6-gps-with-preview.cr3', 'old-sidecar.cr3'],
      ['other/sidecar-digikam-example.xmp', 'old-sidecar.xmp'],
    ]);
    const files = [...photos.slice(0, 5), path.join(work, 'new-sidecar.xmp')];
    const before = new Map(files.map((file) => [file, fs.existsSync(file) ? { dump: dump(file), sha: sha256(file) } : undefined]));
    const tagged = await tag(work, '--lang', 'ru,en', ...photos.slice(0, 5));
    expect(tagged.code).toBe(0);
    expect(fs.existsSync(path.join(work, 'new-sidecar.xmp'))).toBe(true);
    for (const file of photos.slice(0, 3)) expect(sha256(file)).not.toBe(before.get(file)!.sha);

    const undo = await phototag(['undo', ...photos.slice(0, 5)], work);
    expect(undo.stderr).toContain('5 undone, 0 failed');
    expect(undo.code).toBe(0);
    expect(undo.stdout).toContain('sidecar removed');
    for (const [file, was] of before) {
      if (!was) {
        expect(fs.existsSync(file), `${file} removed`).toBe(false);
        continue;
      }
      expect(dump(file), file).toEqual(was.dump);
      expect(sha256(file), file).toBe(was.sha);
    }
    expect(leftovers(work)).toEqual([]);

    // Undoing again: nothing left to undo, said per photo, exit 0.
    const again = await phototag(['undo', photos[0]!], work);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to undo: every write phototag made to this photo is undone already');
    // A scan (cron, the watcher) leaves the photos put back alone; naming one to `tag` tags it again.
    const scan = await phototag(
      ['scan', '--provider', 'openrouter', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0', work],
      work,
    );
    expect(scan.code).toBe(0);
    expect(scan.stdout).not.toContain('✓');
    expect(sha256(photos[1]!)).toBe(before.get(photos[1]!)!.sha);
    const retag = await tag(work, photos[1]!);
    expect(retag.stdout).toContain('✓');
  }, 240_000);

  it('refuses a photo whose fields a person changed since, goes on with the others, exits 1; --force puts them back', async () => {
    const work = tempDir();
    const [edited, other, pixels] = copyCorpus(work, [
      ['jpeg/nikon-d5000.jpg', 'edited.jpg'],
      ['jpeg/nikon-d5000.jpg', 'rated.jpg'],
      ['jpeg/htc-desire-gps.jpg', 'pixels.jpg'],
    ]);
    const original = dump(edited!);
    expect((await tag(work, edited!, other!, pixels!)).code).toBe(0);
    exiftool('-XMP-dc:Title-x-default=My own title', edited!);
    // A field phototag does not own: undo goes ahead field by field and keeps it.
    exiftool('-XMP-xmp:Rating=3', other!);
    // New image data (re-encoded): never undone, not even with --force.
    spawnSync('convert', [pixels!, '-quality', '70', pixels!]);

    const refused = await phototag(['undo', edited!, other!, pixels!], work);
    expect(refused.code).toBe(1);
    const failures = refused.stderr.split('\n').filter((line) => line.startsWith('✗'));
    expect(failures).toHaveLength(2);
    expect(failures[0]).toBe(
      `✗ ${edited}: changed since phototag wrote it: XMP-dc:Title (now "My own title"); not undone (--force puts back what was there before phototag, replacing that)`,
    );
    expect(failures[1]).toContain(`✗ ${pixels}: its image data changed since phototag wrote it`);
    expect(refused.stdout).toContain(`↶ ${other}: write #`);
    expect(refused.stdout).toContain('fields put back');
    const rated = await readTitle(other!);
    expect(rated).toEqual({ title: undefined, rating: '3' });
    expect(await readTitle(edited!)).toMatchObject({ title: 'My own title' });

    const forced = await phototag(['undo', '--force', edited!, pixels!], work);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain(`✗ ${pixels}: its image data changed`);
    expect(forced.stdout).toContain(`↶ ${edited}: write #`);
    const after = dump(edited!);
    // phototag's fields are back; ExifTool's own marks of the write (its XMPToolkit, the IPTC charset) stay.
    const mine = (lines: string[]) => lines.filter((l) => /^\[(XMP-dc|XMP-lr|IFD0)\]|^\[IPTC\]\s+(ObjectName|Keywords|Caption)/u.test(l));
    expect(mine(after)).toEqual(mine(original));
    expect(leftovers(work)).toEqual([]);
  }, 180_000);

  it('undoes a whole run (--run) or everything since a date (--since), newest write first', async () => {
    const work = tempDir();
    const [a, b, c] = copyCorpus(work, [
      ['jpeg/nikon-d5000.jpg', 'a.jpg'],
      ['jpeg/htc-desire-gps.jpg', 'b.jpg'],
      ['jpeg/olympus-pen-e-p3.jpg', 'c.jpg'],
    ]);
    const sums = new Map([a, b, c].map((f) => [f!, sha256(f!)]));
    expect((await tag(work, a!, b!)).code).toBe(0);
    expect((await tag(work, c!)).code).toBe(0);
    const shown = json(await phototag(['show', '--json', a!, c!], work)) as { writes: { runId: number }[] }[];
    const firstRun = shown[0]!.writes[0]!.runId;
    expect(shown[1]!.writes[0]!.runId).not.toBe(firstRun);

    const run = await phototag(['undo', '--run', String(firstRun)], work);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('2 undone, 0 failed');
    expect(sha256(a!)).toBe(sums.get(a!));
    expect(sha256(b!)).toBe(sums.get(b!));
    expect(sha256(c!)).not.toBe(sums.get(c!));

    const since = await phototag(['undo', '--since', '1h'], work);
    expect(since.code).toBe(0);
    expect(since.stderr).toContain('1 undone, 0 failed');
    expect(sha256(c!)).toBe(sums.get(c!));

    const none = await phototag(['undo', '--since', '1h'], work);
    expect(none.stdout).toContain('no write to undo');
    const usage = await phototag(['undo'], work);
    expect(usage.code).toBe(2);
  }, 180_000);

  it('steps back one write at a time: an apply, then the tag under it', async () => {
    const work = tempDir();
    const [photo] = copyCorpus(work, ['jpeg/nikon-d5000.jpg']);
    const original = sha256(photo!);
    const csv = path.join(work, 'review.csv');
    expect((await tag(work, photo!)).code).toBe(0);
    const tagged = sha256(photo!);
    expect((await tag(work, '--dry-run', '--force', '--export', csv, photo!)).code).toBe(0);
    fs.writeFileSync(csv, fs.readFileSync(csv, 'utf8').replace('Photo 858x570', 'A reviewed title'));
    const applied = await phototag(['apply', csv], work);
    expect(applied.code).toBe(0);
    expect(await readTitle(photo!)).toMatchObject({ title: 'A reviewed title' });

    const shown = json(await phototag(['show', '--json', photo!], work)) as { writes: { kind: string }[] }[];
    expect(shown[0]!.writes.map((w) => w.kind)).toEqual(['tag', 'apply']);
    await phototag(['undo', photo!], work);
    expect(sha256(photo!)).toBe(tagged);
    await phototag(['undo', photo!], work);
    expect(sha256(photo!)).toBe(original);
    const history = json(await phototag(['show', '--json', photo!], work)) as { writes: { kind: string; state: string }[] }[];
    expect(history[0]!.writes.map((w) => `${w.kind}:${w.state}`)).toEqual(['tag:undone', 'apply:undone', 'undo:done', 'undo:done']);
  }, 180_000);
});

async function readTitle(file: string): Promise<{ title?: string; rating?: string }> {
  const out = spawnSync('perl', [EXIFTOOL, '-j', '-XMP-dc:Title', '-XMP-xmp:Rating', file], { encoding: 'utf8' }).stdout;
  const [tags] = JSON.parse(out) as { Title?: string; Rating?: number }[];
  return { title: tags?.Title, rating: tags?.Rating === undefined ? undefined : String(tags.Rating) };
}

// The corpus files these tests rely on.
for (const file of ['with-metadata/nikon-e995-iptc-caption-latin1-no-charset.jpg', 'raw/canon-eos-r6-gps-with-preview.cr3'])
  if (!fs.existsSync(path.join(CORPUS, file))) throw new Error(`corpus file missing: ${file}`);
