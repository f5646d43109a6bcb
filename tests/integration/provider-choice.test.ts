import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import type { ConfigInput } from '../../src/core/config/schema.js';
import { ConfigError, FatalError } from '../../src/core/errors.js';
import { openSession } from '../../src/core/session.js';
import { resolveCandidates, resolveProvider } from '../../src/core/vision/discovery.js';
import { tempDir } from '../support/corpus.js';
import { defaultModels, startFakeOpenAI } from '../support/fake-openai.mjs';

// `--model auto` never chooses a paid model unless asked, and says which model it chose where prices are unknown.

type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let dir: string;
beforeAll(() => {
  dir = tempDir('phototag-choice-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function configWith(flags: Partial<ConfigInput>) {
  return (await loadConfig({ cwd: dir, env: {}, flags: { dataDir: path.join(dir, 'data'), ...flags } })).config;
}

async function withFake<T>(options: Parameters<typeof startFakeOpenAI>[0], work: (fake: Fake) => Promise<T>): Promise<T> {
  const fake = await startFakeOpenAI(options);
  try {
    return await work(fake);
  } finally {
    await fake.close();
  }
}

describe('--model auto on OpenAI (every model paid)', () => {
  it('stops with a config error (exit 2) naming a model to pass, instead of choosing gpt-4o-mini silently', async () => {
    const config = await configWith({ provider: 'openai' });
    const error = await resolveProvider(config, { OPENAI_API_KEY: 'sk-test' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toContain('--model gpt-4o-mini');
    expect((error as Error).message).toContain('--allow-paid');
    expect((error as Error).message).not.toContain('\n');
  });

  it('uses gpt-4o-mini with --allow-paid, and says so', async () => {
    const config = await configWith({ provider: 'openai', model: { allowPaid: true } });
    const provider = await resolveProvider(config, { OPENAI_API_KEY: 'sk-test' });
    expect(provider.model).toBe('gpt-4o-mini');
    expect(provider.notice).toMatch(/OpenAI has no free models; using gpt-4o-mini \(paid\)/);
  });

  it('takes a model named explicitly without a word', async () => {
    const provider = await resolveProvider(await configWith({ provider: 'openai', model: 'gpt-4.1-mini' }), { OPENAI_API_KEY: 'sk-test' });
    expect(provider.model).toBe('gpt-4.1-mini');
    expect(provider.notice).toBeUndefined();
  });
});

describe('--base-url on openrouter.ai', () => {
  it('is OpenRouter: its key variable, its 20 requests a minute, its auto', async () => {
    const config = await configWith({ baseUrl: 'https://openrouter.ai/api/v1' });
    const provider = await resolveProvider(config, { OPENROUTER_API_KEY: 'sk-or-test', OPENAI_API_KEY: 'sk-openai' });
    expect(provider.preset.name).toBe('openrouter');
    expect(provider.rpm).toBe(20);
    expect(provider.apiKey).toBe('sk-or-test');
    expect(provider.model).toBe('auto');
    // Even with --provider openai: the server is OpenRouter.
    const named = await resolveProvider(await configWith({ provider: 'openai', baseUrl: 'https://openrouter.ai/api/v1' }), {
      OPENROUTER_API_KEY: 'sk-or-test',
    });
    expect(named.preset.name).toBe('openrouter');
  });

  it('needs the OpenRouter key, and says OPENAI_API_KEY belongs to --provider openai', async () => {
    const config = await configWith({ baseUrl: 'https://openrouter.ai/api/v1' });
    const error = await resolveProvider(config, { OPENAI_API_KEY: 'sk-openai' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('OPENROUTER_API_KEY');
    expect((error as Error).message).toContain('`--provider openai');
  });
});

describe('--model auto on a server that lists prices', () => {
  it('keeps only free vision models on any provider (a paid vision model is never a candidate)', async () => {
    await withFake({}, async (fake) => {
      const provider = await resolveProvider(await configWith({ provider: 'openai', baseUrl: fake.url }), {});
      const { candidates, notice } = await resolveCandidates(provider);
      expect(candidates.map((m) => m.id)).toEqual(['free/vision-a:free', 'free/vision-b:free']);
      expect(notice).toBeUndefined();
    });
  });

  it('with no free vision model stops naming the cheapest one, or uses the paid ones with --allow-paid', async () => {
    const paidOnly = defaultModels().filter((m: { id: string }) => !m.id.startsWith('free/vision'));
    const cheap = { ...paidOnly[0], id: 'paid/vision-cheap', pricing: { prompt: '0.0000001', completion: '0.0000004' } };
    await withFake({ models: [...paidOnly, cheap] }, async (fake) => {
      const provider = await resolveProvider(await configWith({ provider: 'openrouter', baseUrl: fake.url }), {});
      const error = await resolveCandidates(provider).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FatalError);
      expect((error as Error).message).toMatch(/lists no free vision model: name one with --model, e\.g\. --model paid\/vision-cheap/);

      const allowed = await resolveProvider(
        await configWith({ provider: 'openrouter', baseUrl: fake.url, model: { allowPaid: true } }),
        {},
      );
      const chosen = await resolveCandidates(allowed);
      expect(chosen.candidates.map((m) => m.id)).toEqual(['paid/vision-cheap', 'paid/vision-pro']);
      expect(chosen.notice).toMatch(/using paid\/vision-cheap \(paid, the cheapest vision model\), as --allow-paid allows/);
    });
  });
});

describe('--model auto where prices are unknown', () => {
  it('an OpenAI-compatible server that lists ids only: the first model, named with the reason on the warning channel', async () => {
    await withFake({ models: [{ id: 'local/llava-13b' }, { id: 'local/other' }] }, async (fake) => {
      const config = await configWith({ provider: 'lmstudio', baseUrl: fake.url });
      const warnings: string[] = [];
      const session = await openSession(config, { dryRun: true, source: 'cli', env: {}, onWarning: (m) => warnings.push(m) });
      try {
        expect(session.vision.settings.candidates.map((m) => m.id)).toEqual(['local/llava-13b']);
      } finally {
        await session.close();
      }
      expect(warnings).toEqual([
        `model auto: ${fake.url}/models states no prices; using local/llava-13b, the first it lists (--model to choose another)`,
      ]);
    });
  });

  it('Ollama: the installed vision model, named with the reason', async () => {
    await withFake({}, async (fake) => {
      const provider = await resolveProvider(await configWith({ provider: 'ollama', baseUrl: fake.url }), {});
      const { candidates, notice } = await resolveCandidates(provider);
      expect(candidates.map((m) => m.id)).toEqual(['qwen2.5vl:7b']);
      expect(notice).toMatch(/^model auto: Ollama models are local, no prices apply; using qwen2\.5vl:7b/);
    });
  });
});
