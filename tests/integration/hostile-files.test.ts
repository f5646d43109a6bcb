// Issue 15, defects 1, 2 and 11: where phototag writes (never outside the folders given), what a write keeps
// (owner, mode, symlinks, hard links, mtime) and file names with control characters.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, list, readTags, sha256, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { scanFolders, tagFiles } from '../support/harness.js';
import { walkPhotos } from '../../src/core/walk.js';
import { FolderWatcher } from '../../src/daemon/watcher.js';
import { jsonReporter, outcomeLine, plainReporter } from '../../src/commands/reporter.js';
import { createLogger } from '../../src/daemon/log.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
const JPEG = 'jpeg/nikon-d5000.jpg';
const OTHER = 'jpeg/olympus-pen-e-p3.jpg';

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
});

/** Content hash and mtime of every file under `root`: what "nothing changed" means. */
function fingerprint(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of fs.readdirSync(root, { recursive: true }) as string[]) {
    const file = path.join(root, name);
    const stat = fs.lstatSync(file);
    if (stat.isFile()) out.set(name, `${sha256(file)} ${stat.mtimeMs}`);
  }
  return out;
}

describe('scan never leaves the folders it was given', () => {
  it('does not follow links to an outside folder, an outside photo, / or /proc; follows a link inside; reports what it skipped', async () => {
    dir = tempDir();
    const root = path.join(dir, 'photos');
    const outside = path.join(dir, 'elsewhere'); // stands in for "/": someone else's photos
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    fs.mkdirSync(path.join(outside, 'deep'), { recursive: true });
    const [inside] = copyCorpus(root, [[JPEG, 'a.jpg']]);
    const [nested] = copyCorpus(root, [[OTHER, 'sub/b.jpg']]);
    copyCorpus(outside, [
      [JPEG, 'victim.jpg'],
      [OTHER, 'deep/victim2.jpg'],
    ]);
    fs.symlinkSync(outside, path.join(root, 'root.jpg')); // a folder link named like a photo
    fs.symlinkSync(outside, path.join(root, 'elsewhere'));
    fs.symlinkSync(path.join(outside, 'victim.jpg'), path.join(root, 'linked.jpg'));
    fs.symlinkSync(path.join(root, 'sub'), path.join(root, 'also-sub')); // inside: followed, found once
    const before = fingerprint(outside);

    const skipped: string[] = [];
    const { summary, outcomes } = await scanFolders([root], {
      baseUrl: fake.url,
      dataDir: path.join(dir, 'data'),
      walk: { onSkip: (file) => skipped.push(file) } as never,
    });
    expect([...outcomes.keys()].sort()).toEqual([inside, nested].sort());
    expect(summary).toMatchObject({ done: 2, failed: 0 });
    expect(fingerprint(outside)).toEqual(before);
    expect(skipped.sort()).toEqual(['elsewhere', 'linked.jpg', 'root.jpg'].map((n) => path.join(root, n)).sort());
  });

  it('a link to / or to /proc yields nothing outside the root (walk only: nothing is written)', async () => {
    dir = tempDir();
    const root = path.join(dir, 'photos');
    fs.mkdirSync(root);
    const [inside] = copyCorpus(root, [[JPEG, 'a.jpg']]);
    fs.symlinkSync('/', path.join(root, 'root.jpg'));
    fs.symlinkSync('/proc', path.join(root, 'proc'));
    fs.symlinkSync('/proc/self/cwd', path.join(root, 'cwd'));
    const found: string[] = [];
    const skipped: string[] = [];
    for await (const file of walkPhotos([root], { onSkip: (f) => skipped.push(path.basename(f)) })) {
      found.push(file);
      if (!file.startsWith(`${root}/`) || found.length > 10) break; // a failing walk stops at once
    }
    expect(found).toEqual([inside]);
    expect(skipped.sort()).toEqual(['cwd', 'proc', 'root.jpg']);
  });

  it('a root that is /proc is not walked', async () => {
    dir = tempDir();
    const skipped: string[] = [];
    const found: string[] = [];
    for await (const file of walkPhotos(['/proc'], { onSkip: (f) => skipped.push(f) })) {
      found.push(file);
      break;
    }
    expect(found).toEqual([]);
    expect(skipped).toEqual(['/proc']);
  });

  it('the watcher does not follow a link out of a watched folder, nor offer a photo link leading outside', async () => {
    dir = tempDir();
    const root = path.join(dir, 'watched');
    const outside = path.join(dir, 'elsewhere');
    fs.mkdirSync(root);
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(root, 'out'));
    const offered: string[] = [];
    const watcher = new FolderWatcher(
      { folders: [root], polling: false, pollIntervalSeconds: 1, stableSeconds: 0.2, scanOnStart: true, rescanMinutes: 0, ownFolders: [] },
      (file) => offered.push(file),
      createLogger({ out: fs.createWriteStream('/dev/null') }),
    );
    await watcher.start();
    try {
      copyCorpus(outside, [[JPEG, 'new-outside.jpg']]);
      fs.symlinkSync(path.join(outside, 'new-outside.jpg'), path.join(root, 'link.jpg'));
      const [own] = copyCorpus(root, [[OTHER, 'own.jpg']]);
      for (let i = 0; i < 60 && !offered.includes(own!); i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500)); // any outside photo would have arrived with it
      expect([...new Set(offered)]).toEqual([own]); // (offered twice: add, then the chmod's change; the queue dedupes)
    } finally {
      await watcher.stop();
    }
  });
});

describe('a write keeps what the file is', () => {
  it("keeps another user's ownership and mode 640", async () => {
    dir = tempDir();
    const [photo] = copyCorpus(dir, [[JPEG, 'theirs.jpg']]);
    fs.chownSync(photo!, 1234, 1234);
    fs.chmodSync(photo!, 0o640);
    const { summary } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(summary.done).toBe(1);
    const stat = fs.statSync(photo!);
    expect({ uid: stat.uid, gid: stat.gid, mode: stat.mode & 0o7777 }).toEqual({ uid: 1234, gid: 1234, mode: 0o640 });
    expect(list((await readTags(photo!))['XMP-dc:Subject']).length).toBeGreaterThan(0);
  });

  it('tags the real photo through a symlink, and the link stays a link', async () => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, 'real'));
    const [real] = copyCorpus(path.join(dir, 'real'), [[JPEG, 'photo.jpg']]);
    const link = path.join(dir, 'link.jpg');
    fs.symlinkSync(real!, link);
    const { summary } = await tagFiles([link], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(summary.done).toBe(1);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(link)).toBe(real);
    expect((await readTags(real!))['XMP-dc:Title']).toBeTruthy();
    expect(fs.readdirSync(path.join(dir, 'real'))).toEqual(['photo.jpg']);
  });

  it('a hard-linked photo stays one file: same inode, both names see the tags', async () => {
    dir = tempDir();
    const [photo] = copyCorpus(dir, [[JPEG, 'a.jpg']]);
    const other = path.join(dir, 'b.jpg');
    fs.linkSync(photo!, other);
    const inode = fs.statSync(photo!).ino;
    const { summary } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(summary.done).toBe(1);
    expect(fs.statSync(photo!).ino).toBe(inode);
    expect(fs.statSync(other).ino).toBe(inode);
    expect(fs.statSync(photo!).nlink).toBe(2);
    expect((await readTags(other))['XMP-dc:Title']).toBeTruthy();
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]); // no temp or in-place file left
  });

  it('keeps the modification time by default; --update-mtime gives a new one', async () => {
    dir = tempDir();
    const [kept, updated] = copyCorpus(dir, [
      [JPEG, 'kept.jpg'],
      [OTHER, 'updated.jpg'],
    ]);
    const old = new Date('2019-06-01T12:00:00Z');
    for (const file of [kept!, updated!]) fs.utimesSync(file, old, old);
    await tagFiles([kept!], { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    await tagFiles([updated!], { baseUrl: fake.url, dataDir: path.join(dir, 'data'), updateMtime: true });
    expect((await readTags(kept!))['XMP-dc:Title']).toBeTruthy();
    expect((await readTags(updated!))['XMP-dc:Title']).toBeTruthy();
    expect(fs.statSync(kept!).mtimeMs).toBe(old.getTime());
    expect(fs.statSync(updated!).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('file names with control characters', () => {
  it('are tagged, printed escaped on one line each, and kept exact in --json', async () => {
    dir = tempDir();
    const names = ['new\nline.jpg', 'esc\u001b[31mred.jpg', 'carriage\rreturn.jpg', 'tab\there.jpg'];
    const photos = copyCorpus(
      dir,
      names.map((n, i) => [i % 2 ? OTHER : JPEG, n] as [string, string]),
    );
    const { summary, outcomes } = await tagFiles(photos, { baseUrl: fake.url, dataDir: path.join(dir, 'data') });
    expect(summary).toMatchObject({ done: 4, failed: 0 });
    for (const photo of photos) {
      // The test's own ExifTool refuses such names too: read through a link with a plain name.
      const alias = path.join(dir, `alias${path.extname(photo)}`);
      fs.symlinkSync(photo, alias);
      expect((await readTags(alias))['XMP-dc:Title']).toBeTruthy();
      fs.rmSync(alias);
    }
    expect(fs.readdirSync(dir).sort()).toEqual([...names, 'data'].sort());

    let out = '';
    const sink = { write: (text: string) => ((out += text), true) } as unknown as NodeJS.WritableStream;
    const reporter = plainReporter({ quietUnchanged: false }, sink, sink);
    for (const outcome of outcomes.values()) reporter.outcome(outcome);
    const lines = out
      .trimEnd()
      .split('\n')
      .filter((l) => !l.startsWith('  ! ')); // a warning continues its photo's line
    expect(lines).toHaveLength(4);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/u);
    expect(lines.some((l) => l.includes('new\\nline.jpg'))).toBe(true);
    expect(lines.some((l) => l.includes('esc\\e[31mred.jpg'))).toBe(true);
    let json = '';
    const jsonSink = { write: (text: string) => ((json += text), true) } as unknown as NodeJS.WritableStream;
    const ndjson = jsonReporter(jsonSink, jsonSink);
    for (const outcome of outcomes.values()) ndjson.outcome(outcome);
    expect(
      json
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { file: string }).file)
        .sort(),
    ).toEqual(photos.sort());
    expect(outcomeLine({ file: '/x/a\u202egpj.exe', status: 'failed', reason: 'bad\nline', durationMs: 0 }, '/x')).toBe(
      '✗ a\\u202egpj.exe: bad\\nline',
    );
  });
});
