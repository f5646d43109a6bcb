import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCorpus, ROOT, sha256, tempDirs } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';

// What an installed phototag meets that a clone does not: no optional geocoder, a service started outside
// the home folder, a config named by the environment.

const newDir = tempDirs('phototag-install-');
type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * An install as `npm install -g` lays it out: phototag's own files copied, its dependencies beside it, and no
 * offline-geocode-city (an optional peer package, not installed by default).
 */
function installWithoutGeocoder(): string {
  const app = path.join(newDir(), 'phototag');
  fs.mkdirSync(app);
  for (const part of ['bin', 'dist', 'package.json']) fs.cpSync(path.join(ROOT, part), path.join(app, part), { recursive: true });
  const modules = fs.realpathSync(path.join(ROOT, 'node_modules'));
  fs.mkdirSync(path.join(app, 'node_modules'));
  for (const name of fs.readdirSync(modules)) {
    if (name === 'offline-geocode-city' || name.startsWith('.')) continue;
    fs.symlinkSync(path.join(modules, name), path.join(app, 'node_modules', name));
  }
  return path.join(app, 'bin', 'phototag.js');
}

describe('an installed phototag', () => {
  it('stops before any photo with a clear message when --geocode finds no geocoder, and runs without --geocode', async () => {
    const bin = installWithoutGeocoder();
    const work = newDir();
    const [photo] = copyCorpus(work, ['jpeg/htc-desire-gps.jpg']);
    const before = sha256(photo!);
    const env = { HOME: work, PHOTOTAG_DATA_DIR: path.join(work, 'data'), OPENROUTER_API_KEY: 'sk-or-v1-install-test-secret' };
    const provider = ['--provider', 'openrouter', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0'];
    const calls = fake.state.calls.length;

    const geocoded = await run(bin, ['tag', ...provider, '--geocode', photo!], { cwd: work, env });
    expect(geocoded.code).toBe(2);
    expect(geocoded.stderr).toContain('--geocode');
    expect(geocoded.stderr).toContain('npm install -g offline-geocode-city');
    expect(geocoded.stderr).not.toMatch(/\n\s+at /u); // one message, no stack trace
    expect(fake.state.calls.length).toBe(calls);
    expect(sha256(photo!)).toBe(before);

    const plain = await run(bin, ['tag', ...provider, '--json', photo!], { cwd: work, env });
    expect(plain.stderr).not.toContain('offline-geocode-city');
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout.trim().split('\n')[0]!)).toMatchObject({ status: 'done' });
  });

  it('finds ~/.phototagrc when started outside the home folder (brew services, cron, systemd)', async () => {
    const home = newDir();
    const elsewhere = newDir();
    fs.writeFileSync(path.join(home, '.phototagrc'), 'languages: [en, ru]\n');
    const shown = await run(path.join(ROOT, 'bin', 'phototag.js'), ['config', '--json'], { cwd: elsewhere, env: { HOME: home } });
    expect(shown.stderr).toBe('');
    const parsed = JSON.parse(shown.stdout) as { source: string; config: { languages: string[] } };
    expect(parsed.source).toBe(path.join(home, '.phototagrc'));
    expect(parsed.config.languages).toEqual(['en', 'ru']);
  });

  it('reads the file PHOTOTAG_CONFIG names (the Homebrew service sets it), --config winning, paths relative to the file', async () => {
    const home = newDir();
    const etc = path.join(newDir(), 'etc', 'phototag');
    fs.mkdirSync(etc, { recursive: true });
    const file = path.join(etc, 'config.yaml');
    fs.writeFileSync(file, 'languages: [ru]\ndataDir: ../../var/phototag\n');
    fs.writeFileSync(path.join(home, '.phototagrc'), 'languages: [en]\n');
    const bin = path.join(ROOT, 'bin', 'phototag.js');

    const named = await run(bin, ['config', '--json'], { cwd: home, env: { HOME: home, PHOTOTAG_CONFIG: file } });
    expect(named.stderr).toBe('');
    const parsed = JSON.parse(named.stdout) as { source: string; config: { languages: string[]; dataDir: string } };
    expect(parsed.source).toBe(file);
    expect(parsed.config.languages).toEqual(['ru']);
    expect(parsed.config.dataDir).toBe(path.resolve(etc, '../../var/phototag'));

    const flag = await run(bin, ['config', '--json', '--config', path.join(home, '.phototagrc')], {
      cwd: home,
      env: { HOME: home, PHOTOTAG_CONFIG: file },
    });
    expect((JSON.parse(flag.stdout) as { source: string }).source).toBe(path.join(home, '.phototagrc'));

    const missing = await run(bin, ['config'], { cwd: home, env: { HOME: home, PHOTOTAG_CONFIG: path.join(etc, 'nope.yaml') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${path.join(etc, 'nope.yaml')} (PHOTOTAG_CONFIG)`);
  });
});

const UNITS = path.join(ROOT, 'install', 'systemd');

/** The [Service] settings of a unit file: each key with every value it is given, in order. */
function serviceSettings(unit: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of fs.readFileSync(path.join(UNITS, unit), 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/u.exec(line);
    if (header) section = header[1]!;
    else if (section === 'Service') {
      const at = line.indexOf('=');
      const key = line.slice(0, at);
      settings.set(key, [...(settings.get(key) ?? []), line.slice(at + 1)]);
    }
  }
  return settings;
}

describe('the systemd units in install/systemd', () => {
  it.each(['phototag.service', 'phototag-backup.service'])('%s: systemd-analyze security exposure at most 5.0', (unit) => {
    const result = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', path.join(UNITS, unit)], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    const exposure = /Overall exposure level for \S+: (\d+\.\d+)/u.exec(result.stdout);
    expect(exposure, result.stdout + result.stderr).not.toBeNull();
    expect(Number(exposure![1])).toBeLessThanOrEqual(5);
  });

  it('backs up the data dir the service uses: same User, Group, PHOTOTAG_DATA_DIR and EnvironmentFile', () => {
    const service = serviceSettings('phototag.service');
    const backup = serviceSettings('phototag-backup.service');
    for (const key of ['User', 'Group', 'EnvironmentFile', 'StateDirectory']) {
      expect(service.get(key), key).toBeDefined();
      expect(backup.get(key), key).toEqual(service.get(key));
    }
    const dataDir = (unit: Map<string, string[]>) => unit.get('Environment')?.filter((value) => value.startsWith('PHOTOTAG_DATA_DIR='));
    expect(dataDir(service)).toHaveLength(1);
    expect(dataDir(backup)).toEqual(dataDir(service));
    // The data dir is the unit's StateDirectory, so ProtectSystem=strict leaves it writable for both.
    expect(dataDir(service)![0]).toBe(`PHOTOTAG_DATA_DIR=/var/lib/${service.get('StateDirectory')![0]}`);
  });

  it('keeps files private and memory bounded for a Raspberry Pi, and leaves V8 its JIT', () => {
    for (const unit of ['phototag.service', 'phototag-backup.service']) {
      const settings = serviceSettings(unit);
      expect(settings.get('UMask'), unit).toEqual(['0077']);
      expect(settings.get('Environment'), unit).toContain('MALLOC_ARENA_MAX=2');
      for (const key of ['MemoryHigh', 'MemoryMax', 'TasksMax', 'Nice']) expect(settings.get(key), `${unit} ${key}`).toBeDefined();
      // V8 (and WebAssembly) write machine code into memory they then run: W^X would kill node.
      expect(settings.get('MemoryDenyWriteExecute'), unit).toBeUndefined();
    }
  });
});
