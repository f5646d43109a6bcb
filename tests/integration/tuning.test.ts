import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { VisionClient } from '../../src/core/vision/client.js';
import { resolveCandidates, resolveProvider } from '../../src/core/vision/discovery.js';
import { CORPUS, closeTestExifTool, copyCorpus, ROOT, tempDir } from '../support/corpus.js';
import { defaultModels, startFakeOpenAI } from '../support/fake-openai.mjs';
import { tagFiles } from '../support/harness.js';

// What an operator tunes (prompt.extra, prompt.template, model.temperature, model.maxTokens, model.fallback) reaches
// the model as configured, is validated, is shown by `phototag config`, and keys the answer cache.

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-tuning-');
});
afterAll(async () => {
  await fake.close();
  await closeTestExifTool();
  fs.rmSync(dir, { recursive: true, force: true });
});

function lastCall() {
  return fake.state.calls.at(-1)!;
}

describe('the request the model receives', () => {
  it('carries model.temperature, model.maxTokens and prompt.extra after the built-in instructions', async () => {
    const [photo] = copyCorpus(dir, [['jpeg/htc-desire-gps.jpg', 'extra.jpg']]);
    await tagFiles([photo!], { baseUrl: fake.url, dataDir: path.join(dir, 'data-default'), dryRun: true });
    expect(lastCall()).toMatchObject({ temperature: 0.2, maxTokens: 4096 });

    await tagFiles([photo!], {
      baseUrl: fake.url,
      dataDir: path.join(dir, 'data-extra'),
      dryRun: true,
      model: { id: 'fake/vision', temperature: 0.7, maxTokens: 1500 },
      prompt: { extra: 'House style: British spelling, no adjectives of praise.' },
    });
    const call = lastCall();
    expect(call).toMatchObject({ model: 'fake/vision', temperature: 0.7, maxTokens: 1500 });
    expect(call.prompt).toMatch(/^Return one JSON object with one entry per language code/);
    expect(call.prompt!.endsWith('\nHouse style: British spelling, no adjectives of praise.')).toBe(true);
  });

  it('prompt.template replaces the built-in instructions, its placeholders filled', async () => {
    const folder = path.join(dir, 'Lisbon trip');
    fs.mkdirSync(folder);
    const [photo] = copyCorpus(folder, [['jpeg/htc-desire-gps.jpg', 'template.jpg']]);
    const template =
      'Catalogue this photo for {languages}, answering {shape}. Between {minKeywords} and {maxKeywords} keywords; ' +
      'titles up to {titleMaxChars} characters, descriptions up to {descriptionMaxChars}. Known: {context} Keep {{braces}}.';
    const { outcomes } = await tagFiles([photo!], {
      baseUrl: fake.url,
      dataDir: path.join(dir, 'data-template'),
      dryRun: true,
      languages: ['en', 'ru'],
      maxKeywords: 20,
      prompt: { template },
    });
    expect(outcomes.get(photo!)?.status).toBe('done');
    const prompt = lastCall().prompt!;
    expect(prompt).toMatch(
      /^Catalogue this photo for "en" = English, "ru" = Russian, answering \{"en":\{"title":"…","description":"…","keywords":\["…"\]\},"ru":/,
    );
    expect(prompt).toContain('Between 15 and 20 keywords; titles up to 70 characters, descriptions up to 200. Known: ');
    expect(prompt).toContain('Lisbon trip');
    expect(prompt.endsWith(' Keep {braces}.')).toBe(true);
    expect(prompt).not.toContain('Return one JSON object');
  });
});

describe('validation', () => {
  it('an unknown placeholder is a config error naming the key and the placeholder', async () => {
    const error = await loadConfig({
      cwd: dir,
      env: {},
      flags: { prompt: { template: 'Describe {languages} in {colour} and {mood}.' } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /"prompt\.template" is "Describe \{languages\} in \{colour\} and \{mood\}\." \(string\); expected/,
    );
    expect((error as Error).message).toMatch(/unknown: \{colour\}, \{mood\}/);
  });

  it.each([
    [{ model: { temperature: 3 } }, /"model\.temperature" is 3 \(number\); expected a value ≤ 2/],
    [{ model: { maxTokens: 'lots' } }, /"model\.maxTokens" is "lots" \(string\); expected a number/],
    [{ model: { fallback: '' } }, /"model\.fallback" is "" \(string\)/],
    [{ prompt: { extra: 42 } }, /"prompt\.extra" is 42 \(number\); expected a string/],
    [{ catalogue: { refreshHours: 0 } }, /"catalogue\.refreshHours" is 0 \(number\); expected a value > 0|"catalogue\.refreshHours" is 0/],
  ])('refuses %j, naming key, value and type', async (flags, message) => {
    const error = await loadConfig({ cwd: dir, env: {}, flags: flags as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it('phototag config shows each key with its origin', () => {
    const work = fs.mkdtempSync(path.join(dir, 'show-'));
    fs.writeFileSync(
      path.join(work, 'phototag.config.yaml'),
      'model:\n  id: some/model\n  temperature: 0.5\n  fallback: paid/vision-pro\nprompt:\n  extra: Prefer plain words.\nmodelListHours: 12\n',
    );
    const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'phototag.js'), 'config'], {
      cwd: work,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: work, PHOTOTAG_MODEL: 'env/model' },
    });
    expect(run.status).toBe(0);
    for (const line of [
      'model.id: "env/model"  # env',
      'model.temperature: 0.5  # file',
      'model.maxTokens: 4096  # default',
      'model.fallback: "paid/vision-pro"  # file',
      'prompt.extra: "Prefer plain words."  # file',
      'catalogue.refreshHours: 12  # file',
    ])
      expect(run.stdout).toContain(line);
  });
});

describe('the answer cache', () => {
  it('a changed prompt, temperature or token budget asks the model again; the same settings do not', async () => {
    const [photo] = copyCorpus(dir, [['jpeg/nikon-d5000.jpg', 'cache.jpg']]);
    const data = path.join(dir, 'data-cache');
    const calls = async (settings: object) => {
      const before = fake.state.calls.length;
      await tagFiles([photo!], { baseUrl: fake.url, dataDir: data, dryRun: true, ...settings });
      return fake.state.calls.length - before;
    };
    expect(await calls({})).toBe(1);
    expect(await calls({})).toBe(0);
    expect(await calls({ prompt: { extra: 'Prefer plain words.' } })).toBe(1);
    expect(await calls({ prompt: { extra: 'Prefer plain words.' } })).toBe(0);
    expect(await calls({ prompt: { extra: 'Prefer long words.' } })).toBe(1);
    expect(await calls({ prompt: { template: 'Answer {shape} for {languages}.' } })).toBe(1);
    expect(await calls({ model: { id: 'fake/vision', temperature: 0.9 } })).toBe(1);
    expect(await calls({ model: { id: 'fake/vision', maxTokens: 2048 } })).toBe(1);
    // Stating a default is no change.
    expect(await calls({ model: { id: 'fake/vision', temperature: 0.2, maxTokens: 4096 } })).toBe(0);
  });
});

describe('model.fallback', () => {
  it('is called when every candidate is paused by the breaker', async () => {
    const jpeg = fs.readFileSync(path.join(CORPUS, 'jpeg/htc-desire-gps.jpg'));
    const model = (id: string) => ({
      id,
      vision: true,
      free: false,
      priced: false,
      promptPrice: 0,
      completionPrice: 0,
      structuredOutput: true,
      contextLength: 0,
    });
    const vision = new VisionClient({
      provider: 'openai',
      baseUrl: fake.url,
      apiKey: 'k',
      candidates: [model('fixed/a')],
      fallback: false,
      fallbackModel: model('backup/b'),
      timeoutMs: 5000,
      rpm: 0,
      breaker: { threshold: 1, cooldownMs: 60_000 },
    });
    const request = { jpeg, languages: ['en'], maxKeywords: 10 };
    fake.push({ type: 'http', status: 500 });
    const start = fake.state.calls.length;
    await expect(vision.analyze(request)).rejects.toMatchObject({ kind: 'transient' });
    const answer = await vision.analyze(request);
    expect(fake.state.calls.slice(start).map((c) => c.model)).toEqual(['fixed/a', 'backup/b']);
    expect(answer.model).toBe('backup/b');
    expect(vision.circuit().ok).toBe(true);
  });

  it('is the model auto uses when no free vision model is listed, and on OpenAI', async () => {
    const paidOnly = defaultModels().filter((m: { id: string }) => !m.id.startsWith('free/vision'));
    const priced = await startFakeOpenAI({ models: paidOnly });
    try {
      const { config } = await loadConfig({
        cwd: dir,
        env: {},
        flags: { provider: 'openrouter', baseUrl: priced.url, model: { fallback: 'paid/vision-pro' }, dataDir: path.join(dir, 'd') },
      });
      const chosen = await resolveCandidates(await resolveProvider(config, {}));
      expect(chosen.candidates.map((m) => m.id)).toEqual(['paid/vision-pro']);
      expect(chosen.candidates[0]!.promptPrice).toBeGreaterThan(0); // priced from the list, so the run's $ is right
      expect(chosen.notice).toContain('using model.fallback paid/vision-pro');
    } finally {
      await priced.close();
    }
    const { config } = await loadConfig({ cwd: dir, env: {}, flags: { provider: 'openai', model: { fallback: 'gpt-4.1-mini' } } });
    const openai = await resolveProvider(config, { OPENAI_API_KEY: 'sk-test' });
    expect(openai.model).toBe('gpt-4.1-mini');
    expect(openai.notice).toContain('using model.fallback gpt-4.1-mini');
  });
});
