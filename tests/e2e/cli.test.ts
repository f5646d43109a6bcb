import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestExifTool, copyCorpus, readTags, ROOT, tempDir, SIX_JPEGS } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

const BIN = path.join(ROOT, 'bin', 'phototag.js');
const SECRET = 'sk-or-v1-e2e-secret-abcdef';

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-e2e-');
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would, in a folder of its own, with a clean environment. */
function phototag(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: path.join(dir, 'data'), ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const provider = () => ['--provider', 'openrouter', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0'];

describe('phototag tag (built CLI)', () => {
  it('tags photos, prints NDJSON only, and exits 1 when one photo failed', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'json-'));
    const [good] = copyCorpus(work, ['jpeg/htc-desire-gps.jpg']);
    const missing = path.join(work, 'missing.jpg');
    const run = await phototag(['tag', ...provider(), '--json', '--lang', 'en,ru', good!, missing], {
      env: { OPENROUTER_API_KEY: SECRET },
    });
    expect(run.code).toBe(1);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(2);
    const byFile = Object.fromEntries(lines.map((l) => [l.file, l]));
    expect(byFile[good!]).toMatchObject({ status: 'done', title: 'Photo 776x909', model: 'fake/vision', error: null });
    expect(byFile[good!].keywords).toContain('путешествие');
    expect(byFile[missing]).toMatchObject({ status: 'failed', error: 'no such file', title: null });
    expect(run.stderr).toMatch(/1 done, 0 skipped, 1 failed/);
    expect((await readTags(good!))['XMP-dc:Title-ru']).toBe('Фото 776x909');
  });

  it('exits 0 when every photo is done or skipped, with one plain line per photo and a summary', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'plain-'));
    const [photo] = copyCorpus(work, ['jpeg/nikon-d5000.jpg']);
    const first = await phototag(['tag', ...provider(), photo!], { env: { OPENROUTER_API_KEY: SECRET }, cwd: work });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('✓ nikon-d5000.jpg: tagged "Photo 858x570"');
    expect(first.stdout.trim().split('\n').at(-1)).toMatch(/^1 done, 0 skipped, 0 failed of 1 found in [\d.]+ s · 1 analyzed/);
    const second = await phototag(['tag', ...provider(), photo!], { env: { OPENROUTER_API_KEY: SECRET }, cwd: work });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('- nikon-d5000.jpg: skipped, unchanged since it was tagged');
  });

  it('stops on a refused key with one clear message, exit 1, and never prints the key', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'auth-'));
    const files = copyCorpus(work, ['jpeg/nikon-d5000.jpg', 'jpeg/htc-desire-gps.jpg']);
    fake.push({ type: 'http', status: 401, message: `No auth credentials found for ${SECRET}` });
    const run = await phototag(['tag', ...provider(), '--concurrency', '1', ...files], { env: { OPENROUTER_API_KEY: SECRET } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/stopped: The provider refused the API key \(HTTP 401/);
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it('says how to get going when no provider is configured: one line, exit 2 (a config error)', async () => {
    const run = await phototag(['tag', 'x.jpg'], { env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No vision model is configured');
    expect(run.stderr).toContain('OPENROUTER_API_KEY');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toContain('\\n');
  });

  it('tells a user with only OPENAI_API_KEY that --provider openai uses it, and refuses a paid auto there (exit 2)', async () => {
    const env = { OPENAI_API_KEY: 'sk-openai-e2e-secret' };
    const none = await phototag(['tag', 'x.jpg'], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('OPENAI_API_KEY is set: `--provider openai --model gpt-4o-mini` uses it');
    const openrouter = await phototag(['tag', '--provider', 'openrouter', 'x.jpg'], { env });
    expect(openrouter.code).toBe(2);
    expect(openrouter.stderr).toMatch(/Provider openrouter needs an API key: set OPENROUTER_API_KEY .*--provider openai/);
    const openai = await phototag(['tag', '--provider', 'openai', 'x.jpg'], { env });
    expect(openai.code).toBe(2);
    expect(openai.stderr.trim()).toMatch(/^phototag: --model auto chooses only free models, and OpenAI has none: .*--model gpt-4o-mini/);
    for (const run of [none, openrouter, openai]) {
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toContain('sk-openai-e2e-secret');
    }
  });

  it('exits 2 on a bad config value, naming key, value and expectation', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'badconfig-'));
    fs.writeFileSync(path.join(work, 'phototag.config.yaml'), 'concurrency: lots\n');
    const run = await phototag(['tag', 'x.jpg'], { cwd: work, env: { OPENROUTER_API_KEY: SECRET } });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `phototag: Invalid config (${path.join(work, 'phototag.config.yaml')}): "concurrency" is "lots" (string); expected a number`,
    );
  });

  it('exits 2 on a bad flag, naming the option, the value and its type', async () => {
    const run = await phototag(['tag', '--concurrency', 'two', 'x.jpg']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--concurrency takes a whole number ≥ 1; got "two" (string)');
    const unknown = await phototag(['tag', '--frobnicate', 'x.jpg']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");
  });

  it('every usage and config error is one line and exit 2', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'usage-'));
    fs.writeFileSync(path.join(work, 'broken.yml'), 'languages: [en\n');
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['tag', '--provider', 'gemini', 'x.jpg'], {}, /argument 'gemini' is invalid\. Allowed choices are openrouter, openai/],
      [['tag', '--concurrency', 'two', 'x.jpg'], {}, /--concurrency takes a whole number/],
      [['frobnicate'], {}, /unknown command 'frobnicate'/],
      [['tag'], {}, /missing required argument 'files'/],
      [['tag', 'x.jpg'], { PHOTOTAG_PROVIDER: 'gemini' }, /Invalid config \(environment\): "provider" is "gemini"/],
      [['tag', '--config', 'missing.yml', 'x.jpg'], {}, /Cannot read config missing\.yml: ENOENT/],
      [['tag', '--config', 'broken.yml', 'x.jpg'], {}, /Cannot read config broken\.yml: YAML Error in .*broken\.yml: \S/],
      [['tag', '--provider', 'openrouter', 'x.jpg'], {}, /Provider openrouter needs an API key: set OPENROUTER_API_KEY/],
    ];
    for (const [args, env, message] of cases) {
      const run = await phototag(args, { cwd: work, env });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
  });
});

describe('phototag retry', () => {
  it('lists failures newest first and retries only what the filter selects', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'retry-'));
    const data = path.join(work, 'data');
    const [broken, flaky] = copyCorpus(work, ['broken/truncated-jpeg-100x100.jpg', 'jpeg/nikon-d5000.jpg']);
    const env = { OPENROUTER_API_KEY: SECRET, PHOTOTAG_DATA_DIR: data };
    await phototag(['tag', ...provider(), broken!], { env });
    fake.push({ type: 'http', status: 500 });
    const first = await phototag(['tag', ...provider(), '--max-attempts', '1', flaky!], { env });
    expect(first.code).toBe(1);

    const list = await phototag(['retry', '--list'], { env });
    expect(list.code).toBe(0);
    const rows = list.stdout.trim().split('\n');
    expect(rows[0]).toMatch(new RegExp(`transient  ${flaky}: fake/vision: HTTP 500`));
    expect(rows[1]).toMatch(new RegExp(`corrupt  ${broken}: cannot decode image`));
    expect(rows[2]).toBe('2 failed photos');
    const json = await phototag(['retry', '--list', '--json', '--kind', 'corrupt'], { env });
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).file),
    ).toEqual([broken]);

    const none = await phototag(['retry', ...provider(), '--since', '2099-01-01'], { env });
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('nothing to retry');

    const retried = await phototag(['retry', ...provider(), '--kind', 'transient'], { env });
    expect(retried.code).toBe(0);
    expect(retried.stderr).toContain('retrying 1 photo');
    expect(retried.stdout).toContain(`✓ ${path.relative(dir, flaky!)}: tagged "Photo 858x570"`);
    const after = await phototag(['retry', '--list'], { env });
    expect(after.stdout.trim().split('\n')).toHaveLength(2);

    const bad = await phototag(['retry', '--since', 'yesterday-ish'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since takes a date (2026-11-01) or a span (90m, 12h, 7d); got "yesterday-ish" (string)');
  });
});

describe('review and export (built CLI)', () => {
  it('tag --dry-run --export, apply, then export the CSV a site expects', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'review-'));
    const env = { OPENROUTER_API_KEY: SECRET, PHOTOTAG_DATA_DIR: path.join(work, 'data') };
    const [photo] = copyCorpus(work, ['jpeg/htc-desire-gps.jpg']);
    fake.push({ type: 'ok', keywords: ['barn', 'field', 'farm', 'rural', 'red', 'dawn', 'mist', 'autumn'] });
    const dry = await phototag(['tag', ...provider(), '--dry-run', '--export', 'review.csv', photo!], { env, cwd: work });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('1 proposals written to review.csv');
    expect(fs.readFileSync(path.join(work, 'review.csv'), 'utf8').split('\r\n')[0]).toBe(
      'file,sha256,title:en,description:en,keywords:en,image_sha256',
    );
    const applied = await phototag(['apply', 'review.csv'], { env: { PHOTOTAG_DATA_DIR: env.PHOTOTAG_DATA_DIR }, cwd: work });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('tagged "Photo 776x909"');
    const out = await phototag(['export', '--format', 'adobe-stock'], { env, cwd: work });
    expect(out.code).toBe(0);
    expect(out.stdout.split('\r\n').slice(0, 2)).toEqual([
      'Filename,Title,Keywords,Category,Releases',
      'htc-desire-gps.jpg,Photo 776x909,"barn, field, farm, rural, red, dawn, mist, autumn",,',
    ]);
    const shutter = await phototag(['export', '--format', 'shutterstock', '--out', 'ss.csv'], { env, cwd: work });
    expect(shutter.code).toBe(0);
    expect(fs.readFileSync(path.join(work, 'ss.csv'), 'utf8').split('\r\n')[0]).toBe(
      'Filename,Description,Keywords,Categories,Editorial,Mature content,illustration',
    );
    const missing = await phototag(['export'], { env, cwd: work });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--format <site>' not specified");
  });
});

describe('phototag backup (cron)', () => {
  it('--quiet prints nothing on success; a failure prints one line and exits non-zero', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'backup-'));
    const data = path.join(work, 'data');
    const [photo] = copyCorpus(work, ['jpeg/nikon-d5000.jpg']);
    await phototag(['tag', ...provider(), photo!], { env: { OPENROUTER_API_KEY: SECRET, PHOTOTAG_DATA_DIR: data } });
    const env = { PHOTOTAG_DATA_DIR: data, OPENROUTER_API_KEY: SECRET };
    const quiet = await phototag(['backup', '--quiet'], { env });
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const list = await phototag(['backup', 'list', '--json'], { env });
    const [archive] = JSON.parse(list.stdout) as { file: string }[];
    expect(archive!.file).toMatch(/phototag-\d{8}-\d{6}\.tar\.gz$/);
    const verify = await phototag(['backup', 'verify', archive!.file], { env });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(': OK (phototag');
    fs.writeFileSync(path.join(work, 'broken.tar.gz'), 'nope');
    const broken = await phototag(['backup', 'restore', '--quiet', path.join(work, 'broken.tar.gz')], { env });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe('');
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).toContain('broken.tar.gz: damaged or not a phototag backup');
    const prune = await phototag(['backup', 'prune', '--dir', data, '--keep-days', '0', '--keep', '0', '--quiet'], { env });
    expect(prune).toMatchObject({ code: 0, stdout: '' });
    expect(fs.existsSync(archive!.file)).toBe(false);
    expect(fs.existsSync(path.join(data, 'phototag.db'))).toBe(true);
  });
});

describe('interrupting a run', () => {
  it('on Ctrl-C finishes the photos in progress, starts no more, leaves no temp file and exits 1', async () => {
    const slow = await startFakeOpenAI({ latencyMs: 1500 });
    try {
      const work = fs.mkdtempSync(path.join(dir, 'sigint-'));
      const files = copyCorpus(work, SIX_JPEGS);
      const child = spawn(
        process.execPath,
        [BIN, 'tag', '--provider', 'openai', '--base-url', slow.url, '--model', 'fake/vision', '--concurrency', '2', '--json', ...files],
        {
          cwd: work,
          env: { PATH: process.env.PATH ?? '', HOME: dir, PHOTOTAG_DATA_DIR: path.join(work, 'data'), PHOTOTAG_API_KEY: SECRET },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.stdout.on('data', (d) => (stdout += d));
      while (slow.state.calls.length < 2) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain('SIGINT received, finishing the photos in progress');
      expect(stderr).toContain('stopped: interrupted');
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.status)).toEqual(['done', 'done']);
      expect(stderr).toMatch(/2 done, 0 skipped, 0 failed, 4 still queued \(`phototag retry` resumes them\) of 6 found/);
      expect(fs.readdirSync(work).filter((f) => f.includes('phototag-tmp') || f.endsWith('_original'))).toEqual([]);
    } finally {
      await slow.close();
    }
  });
});

describe('phototag config, models, --help, --version', () => {
  it('prints the effective config with secrets masked and where it came from', async () => {
    const work = fs.mkdtempSync(path.join(dir, 'config-'));
    fs.writeFileSync(path.join(work, 'phototag.config.json'), JSON.stringify({ apiKey: SECRET, languages: ['en', 'ru'] }));
    const run = await phototag(['config'], { cwd: work, env: { PHOTOTAG_MODEL: 'some/model' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`# loaded from: ${path.join(work, 'phototag.config.json')}`);
    expect(run.stdout).toContain('languages: ["en","ru"]  # file');
    expect(run.stdout).toContain('model.id: "some/model"  # env');
    expect(run.stdout).toContain('model.allowPaid: false  # default');
    expect(run.stdout).toContain('apiKey: "********"  # file');
    expect(run.stdout).not.toContain(SECRET);
  });

  it('lists vision models with free ones marked and the chosen one first', async () => {
    const run = await phototag(['models', '--provider', 'openrouter', '--base-url', fake.url], { env: { OPENROUTER_API_KEY: SECRET } });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[1]).toBe('* free/vision-a:free  (chosen, free)');
    expect(run.stdout).toContain('  paid/vision-pro  ($2.00/$8.00 per M tokens)');
    expect(run.stdout).not.toContain('text-only');
  });

  it('has --help on every command and --version', async () => {
    for (const args of [['--help'], ['tag', '--help'], ['config', '--help'], ['models', '--help']]) {
      const run = await phototag(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: phototag');
    }
    const tagHelp = await phototag(['tag', '--help']);
    for (const flag of [
      '--lang',
      '--provider',
      '--base-url',
      '--model',
      '--concurrency',
      '--rpm',
      '--json',
      '--dry-run',
      '--force',
      '--overwrite',
      '--sidecar',
      '--sidecar-name',
      '--backup',
      '--max-keywords',
      '--data-dir',
    ]) {
      expect(tagHelp.stdout).toContain(flag);
    }
    const version = await phototag(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });
});
