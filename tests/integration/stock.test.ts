import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { parseCsv, toCsv } from '../../src/core/csv.js';
import { readReviewCsv, reviewCsv } from '../../src/core/review.js';
import { openSession } from '../../src/core/session.js';
import type { PhotoOutcome } from '../../src/core/types.js';
import { closeTestExifTool, copyCorpus, list, readTags, sha256, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { tagFiles } from '../support/harness.js';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-stock-');
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('context in the prompt', () => {
  it('sends the place from GPS only when asked, plus date, folders, existing keywords and the hint', async () => {
    const folder = path.join(dir, 'Trips', 'Dublin 2012');
    fs.mkdirSync(folder, { recursive: true });
    const [photo] = copyCorpus(folder, ['with-metadata/nokia-lumia800-gps-iptc-xmp-keywords.jpg']);
    const settings = { baseUrl: fake.url, dataDir: path.join(dir, 'ctx-data'), force: true, dryRun: true };
    let start = fake.state.calls.length;
    await tagFiles([photo!], settings);
    const plain = fake.state.calls[start]!.prompt as string;
    expect(plain).not.toMatch(/Taken near/);
    expect(plain).toContain('Taken on 2012-');
    expect(plain).toContain('Folder: Trips / Dublin 2012.');
    expect(plain).toMatch(/Keywords it already has: .*dublin/);
    expect(plain).toContain('never invent names of places or people');

    start = fake.state.calls.length;
    await tagFiles([photo!], { ...settings, geocode: true });
    expect(fake.state.calls[start]!.prompt).toMatch(/Taken near [^,]+, Ireland\./);
  });

  it('passes the --hint to the model', async () => {
    const [photo] = copyCorpus(dir, [['jpeg/htc-desire-gps.jpg', 'hint.jpg']]);
    const { config } = await loadConfig({
      cwd: dir,
      env: {},
      flags: { provider: 'openai', baseUrl: fake.url, model: 'fake/vision', rpm: 0, dataDir: path.join(dir, 'hint-data') },
    });
    const session = await openSession(config, { dryRun: true, source: 'cli', env: { PHOTOTAG_API_KEY: 'k' }, hint: 'Lisbon, tram 28' });
    const start = fake.state.calls.length;
    try {
      await session.run([photo!]);
    } finally {
      await session.close();
    }
    expect(fake.state.calls[start]!.prompt).toContain('The photographer says: Lisbon, tram 28');
  });
});

describe('profiles on real photos', () => {
  it('fails a photo whose answer cannot meet the profile, and writes nothing', async () => {
    const [photo] = copyCorpus(dir, [['jpeg/nikon-d5000.jpg', 'too-few.jpg']]);
    const hash = sha256(photo!);
    fake.push({ type: 'ok', keywords: ['barn', 'barns', 'photo', 'field'] });
    const { outcomes } = await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'profile-data'), profile: 'shutterstock' });
    expect(outcomes.get(photo!)).toMatchObject({ status: 'failed', errorKind: 'invalid-output' });
    expect(outcomes.get(photo!)?.reason).toContain('shutterstock needs at least 7 keywords');
    expect(sha256(photo!)).toBe(hash);
  });

  it('adobe-stock writes keywords in the primary language only', async () => {
    const [photo] = copyCorpus(dir, [['jpeg/olympus-pen-e-p3.jpg', 'adobe.jpg']]);
    await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'adobe-data'), profile: 'adobe-stock', languages: ['en', 'ru'] });
    const tags = await readTags(photo!);
    expect(tags['XMP-dc:Title-ru']).toBe('Фото 1024x768');
    expect(list(tags['XMP-dc:Subject']).some((k) => /[а-я]/u.test(k))).toBe(false);
  });
});

describe('review before writing', () => {
  it('dry run proposals go to a CSV; apply writes exactly what the edited CSV says and refuses a photo that changed', async () => {
    const folder = path.join(dir, 'review');
    fs.mkdirSync(folder);
    const [keep, edit, changed] = copyCorpus(folder, ['jpeg/htc-desire-gps.jpg', 'jpeg/nikon-d5000.jpg', 'jpeg/fujifilm-finepix2650.jpg']);
    const hashes = [keep, edit, changed].map((f) => sha256(f!));
    const data = path.join(dir, 'review-data');
    const proposals: PhotoOutcome[] = [];
    const { config } = await loadConfig({
      cwd: dir,
      env: {},
      flags: { provider: 'openai', baseUrl: fake.url, model: 'fake/vision', rpm: 0, dataDir: data, languages: ['en', 'ru'] },
    });
    const dry = await openSession(config, { dryRun: true, source: 'cli', env: { PHOTOTAG_API_KEY: 'k' } });
    try {
      await dry.run([keep!, edit!, changed!], { events: { onOutcome: (o) => proposals.push(o) } });
    } finally {
      await dry.close();
    }
    expect([keep, edit, changed].map((f) => sha256(f!))).toEqual(hashes); // a dry run touches nothing

    const csv = reviewCsv(proposals, ['en', 'ru']);
    // Edited as a spreadsheet would: cells changed, the file saved as CSV again.
    const rows = parseCsv(csv);
    const row = rows.find((r) => r[0] === edit)!;
    row[rows[0]!.indexOf('title:en')] = 'Old camera, "D5000", on a desk';
    row[rows[0]!.indexOf('title:ru')] = 'Старая камера';
    const edited = toCsv(rows);
    const { proposals: reviewed } = readReviewCsv(edited, 'review.csv');
    fs.appendFileSync(changed!, Buffer.from('edited in another program'));

    const outcomes = new Map<string, PhotoOutcome>();
    const apply = await openSession(
      { ...config, languages: ['en', 'ru'] },
      { dryRun: false, source: 'cli', env: {}, proposals: reviewed, withoutModel: true },
    );
    const calls = fake.state.calls.length;
    try {
      await apply.run([...reviewed.keys()], { events: { onOutcome: (o) => outcomes.set(o.file, o) } });
    } finally {
      await apply.close();
    }
    expect(fake.state.calls.length).toBe(calls); // no model call
    expect(outcomes.get(edit!)?.status).toBe('done');
    expect(outcomes.get(keep!)?.status).toBe('done');
    expect(outcomes.get(changed!)).toMatchObject({ status: 'failed', errorKind: 'changed' });
    expect(outcomes.get(changed!)?.reason).toContain('changed since the proposal');
    const tags = await readTags(edit!);
    expect(tags['XMP-dc:Title']).toBe('Old camera, "D5000", on a desk');
    expect(tags['XMP-dc:Title-ru']).toBe('Старая камера');
    expect(tags['IPTC:ObjectName']).toBe('Old camera, "D5000", on a desk');
    expect((await readTags(keep!))['XMP-dc:Title']).toBe('Photo 776x909');
    expect((await readTags(changed!))['XMP-dc:Title']).toBeUndefined();
  });
});
