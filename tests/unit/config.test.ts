import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { maskSecrets } from '../../src/core/config/secrets.js';
import { ConfigError } from '../../src/core/errors.js';
import { tempDir } from '../support/corpus.js';

const dirs: string[] = [];
function dirWith(files: Record<string, string>): string {
  const dir = tempDir('phototag-config-');
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('gives the documented defaults with no file', async () => {
    const { config, source } = await loadConfig({ cwd: dirWith({}), env: {} });
    expect(source).toBeUndefined();
    expect(config).toMatchObject({
      model: { id: 'auto', allowPaid: false },
      catalogue: { refreshHours: 24 },
      languages: ['en'],
      maxKeywords: 30,
      concurrency: 2,
      sidecarName: 'base',
      overwrite: false,
      force: false,
      backup: false,
    });
  });

  it.each([
    ['phototag.config.json', '{"languages": ["en", "ru"]}'],
    ['phototag.config.yaml', 'languages: [en, ru]\n'],
    ['.phototagrc', 'languages:\n  - en\n  - ru\n'],
    ['phototag.config.mjs', 'export default { languages: ["en", "ru"] };\n'],
    ['package.json', '{"name": "x", "phototag": {"languages": ["en", "ru"]}}'],
  ])('reads %s', async (name, content) => {
    const dir = dirWith({ [name]: content });
    const { config, source } = await loadConfig({ cwd: dir, env: {} });
    expect(config.languages).toEqual(['en', 'ru']);
    expect(source).toBe(path.join(dir, name));
  });

  it('reads --config FILE relative to the working folder', async () => {
    const dir = dirWith({ 'custom.yml': 'concurrency: 4\n' });
    const { config } = await loadConfig({ cwd: dir, configFile: 'custom.yml', env: {} });
    expect(config.concurrency).toBe(4);
  });

  it('layers flags over environment over file over defaults', async () => {
    const dir = dirWith({ 'phototag.config.json': '{"concurrency": 3, "model": "file/model", "languages": ["de"], "maxKeywords": 12}' });
    const { config, origins } = await loadConfig({
      cwd: dir,
      env: { PHOTOTAG_MODEL: 'env/model', PHOTOTAG_LANG: 'en,ru' },
      flags: { model: 'flag/model', concurrency: undefined },
    });
    expect(config.model.id).toBe('flag/model');
    expect(config.languages).toEqual(['en', 'ru']);
    expect(config.concurrency).toBe(3);
    expect(config.maxKeywords).toBe(12);
    expect(config.rpm).toBeUndefined();
    expect(origins).toMatchObject({ model: 'flag', 'model.id': 'flag', languages: 'env', concurrency: 'file' });
  });

  it('names the key, the value and what was expected for a bad value', async () => {
    const dir = dirWith({ 'phototag.config.json': '{"concurrency": "fast"}' });
    const error = await loadConfig({ cwd: dir, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/"concurrency" is "fast" \(string\); expected a number/);
    expect((error as Error).message).toContain('phototag.config.json');
  });

  it('rejects an unknown provider, listing the choices', async () => {
    const error = await loadConfig({ cwd: dirWith({}), env: { PHOTOTAG_PROVIDER: 'gemini' } }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /"provider" is "gemini" \(string\); expected one of "openrouter", "openai", "ollama", "lmstudio"/,
    );
    expect((error as Error).message).toContain('environment');
  });

  it('rejects unknown keys (a typo would otherwise be ignored silently)', async () => {
    const error = await loadConfig({ cwd: dirWith({ 'phototag.config.json': '{"langauges": ["en"]}' }), env: {} }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('unknown key "langauges"');
  });

  it('rejects a bad language code and a bad URL', async () => {
    await expect(loadConfig({ cwd: dirWith({}), env: {}, flags: { languages: ['english'] } })).rejects.toThrow(
      /"languages.0" is "english"/,
    );
    await expect(loadConfig({ cwd: dirWith({}), env: {}, flags: { baseUrl: 'localhost:11434' } })).rejects.toThrow(
      /"baseUrl" .*expected a URL/,
    );
  });

  it('reports a config file that is not valid YAML/JSON as a config error', async () => {
    const error = await loadConfig({ cwd: dirWith({ 'phototag.config.json': '{"languages": [' }), env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
  });

  it('resolves paths in a config file against the file, and merges serve flags into the serve group of the file', async () => {
    const dir = dirWith({
      'phototag.config.yaml': 'dataDir: ./data\nserve:\n  watch: [inbox, /abs/photos]\n  processedDir: done\n  port: 9000\n',
    });
    const { config } = await loadConfig({
      cwd: '/',
      configFile: path.join(dir, 'phototag.config.yaml'),
      env: {},
      flags: { serve: { host: '127.0.0.2' } as never },
    });
    expect(config.dataDir).toBe(path.join(dir, 'data'));
    expect(config.serve).toMatchObject({
      watch: [path.join(dir, 'inbox'), '/abs/photos'],
      processedDir: path.join(dir, 'done'),
      port: 9000,
      host: '127.0.0.2',
    });
  });

  it('masks secrets', async () => {
    const { config } = await loadConfig({ cwd: dirWith({ 'phototag.config.json': '{"apiKey": "sk-or-v1-secret"}' }), env: {} });
    const shown = JSON.stringify(maskSecrets(config));
    expect(shown).not.toContain('sk-or-v1-secret');
    const served = await loadConfig({
      cwd: dirWith({ 'phototag.config.json': '{"serve": {"token": "a-serve-token-of-16+chars"}}' }),
      env: {},
    });
    expect(JSON.stringify(maskSecrets(served.config))).not.toContain('a-serve-token');
    expect(shown).toContain('********');
  });

  it('reads `model` as an id or as a group, a flag changing one key of the group', async () => {
    const dir = dirWith({ 'phototag.config.yaml': 'model:\n  id: file/model\n  allowPaid: true\n' });
    const { config, origins } = await loadConfig({ cwd: dir, env: {}, flags: { model: { id: 'flag/model' } } });
    expect(config.model).toMatchObject({ id: 'flag/model', allowPaid: true });
    expect(origins).toMatchObject({ 'model.id': 'flag', 'model.allowPaid': 'file' });
    const env = await loadConfig({ cwd: dir, env: { PHOTOTAG_MODEL: 'env/model' } });
    expect(env.config.model).toMatchObject({ id: 'env/model', allowPaid: true });
    const bad = await loadConfig({ cwd: dirWith({ 'phototag.config.json': '{"model": 5}' }), env: {} }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).toMatch(/"model" is 5 \(number\); expected a model id such as "auto", or an object of model settings/);
    const typo = await loadConfig({ cwd: dirWith({ 'phototag.config.json': '{"model": {"temprature": 1}}' }), env: {} }).catch(
      (e: unknown) => e,
    );
    expect((typo as Error).message).toContain('unknown key "model.temprature"');
  });

  it('keeps modelListHours working as the old name of catalogue.refreshHours, and refuses both at once', async () => {
    const { config, origins } = await loadConfig({ cwd: dirWith({ 'phototag.config.yaml': 'modelListHours: 6\n' }), env: {} });
    expect(config.catalogue.refreshHours).toBe(6);
    expect(origins['catalogue.refreshHours']).toBe('file');
    const both = await loadConfig({
      cwd: dirWith({ 'phototag.config.yaml': 'modelListHours: 6\ncatalogue:\n  refreshHours: 2\n' }),
      env: {},
    }).catch((e: unknown) => e);
    expect(both).toBeInstanceOf(ConfigError);
    expect((both as Error).message).toContain('"modelListHours" and "catalogue.refreshHours" are both set');
  });

  it('says what is wrong in a config file that is not valid YAML, on one line', async () => {
    const error = await loadConfig({ cwd: dirWith({ 'phototag.config.yaml': 'languages: [en\n' }), env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Cannot read config: YAML Error in .*phototag\.config\.yaml: \S.+/);
    expect((error as Error).message).not.toContain('\n');
  });
});
