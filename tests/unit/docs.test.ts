import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { configSchema } from '../../src/core/config/schema.js';
import { ROOT } from '../support/corpus.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const example = path.join(ROOT, 'config', 'phototag.config.example.yaml');

describe('documentation', () => {
  it('the README documents every config key', () => {
    for (const key of Object.keys(configSchema.shape)) expect(readme).toContain(`| \`${key}\` |`);
  });

  it.each(['serve', 'telegram'] as const)('the README and the example document every %s key', (group) => {
    const keys = Object.keys((configSchema.shape[group].unwrap() as { shape: Record<string, unknown> }).shape);
    const text = fs.readFileSync(example, 'utf8');
    for (const key of keys) {
      expect(readme).toContain(`${group}.${key}`);
      expect(text).toMatch(new RegExp(`^ +#? ?${key}:`, 'm'));
    }
  });

  it.each(['model', 'prompt'] as const)('the README and the example document every %s key', (group) => {
    // `model` is read through a preprocess (an id or a group): its object is the pipe's output side.
    const field = configSchema.shape[group] as unknown as { def: { innerType: { def: { out?: { shape: object }; shape?: object } } } };
    const inner = field.def.innerType;
    const keys = Object.keys(inner.def.out?.shape ?? inner.def.shape ?? {});
    expect(keys.length).toBeGreaterThan(1);
    const text = fs.readFileSync(example, 'utf8');
    for (const key of keys) {
      expect(readme).toContain(`${group}.${key}`);
      expect(text).toMatch(new RegExp(`^ +#? ?${key}:`, 'm'));
    }
  });

  it('the annotated example is a valid config that names every key', async () => {
    const { config } = await loadConfig({ configFile: example, env: {} });
    expect(config.languages).toEqual(['en']);
    const text = fs.readFileSync(example, 'utf8');
    for (const key of Object.keys(configSchema.shape)) expect(text).toMatch(new RegExp(`^#? ?${key}:`, 'm'));
  });
});
