import { describe, expect, it } from 'vitest';
import { parseModelAnswer } from '../../src/core/vision/parse.js';

const answer = {
  en: { title: 'Red barn', description: 'A red barn in a field.', keywords: ['barn', 'farm'] },
  ru: { title: 'Красный амбар', description: 'Красный амбар в поле.', keywords: ['амбар', 'ферма'] },
};

describe('parseModelAnswer', () => {
  it('reads a bare JSON object', () => {
    const parsed = parseModelAnswer(JSON.stringify(answer), ['en', 'ru']);
    expect(parsed).toEqual({ ok: true, result: answer });
  });

  it('reads JSON inside a code fence', () => {
    const parsed = parseModelAnswer(`Here is the metadata:\n\`\`\`json\n${JSON.stringify(answer, null, 2)}\n\`\`\`\nEnjoy!`, ['en', 'ru']);
    expect(parsed.ok && parsed.result.ru!.title).toBe('Красный амбар');
  });

  it('reads JSON wrapped in prose with braces in the prose and in strings', () => {
    const tricky = { en: { title: 'Sign saying {open}', description: 'A "quoted" sign.', keywords: ['sign'] } };
    const parsed = parseModelAnswer(`I think {this} is it: ${JSON.stringify(tricky)} done.`, ['en']);
    expect(parsed.ok && parsed.result.en!.title).toBe('Sign saying {open}');
  });

  it('ignores a reasoning block before the answer', () => {
    const parsed = parseModelAnswer(`<think>maybe {"en": 1}</think>${JSON.stringify(answer)}`, ['en', 'ru']);
    expect(parsed.ok).toBe(true);
  });

  it('accepts a single-language answer without the language wrapper', () => {
    const parsed = parseModelAnswer(JSON.stringify(answer.en), ['en']);
    expect(parsed.ok && parsed.result.en!.keywords).toEqual(['barn', 'farm']);
  });

  it('accepts keywords given as one comma-separated string', () => {
    const parsed = parseModelAnswer(JSON.stringify({ en: { title: 't', description: 'd', keywords: 'a, b, c' } }), ['en']);
    expect(parsed.ok && parsed.result.en!.keywords.map((k) => k.trim())).toEqual(['a', 'b', 'c']);
  });

  it('rejects an answer missing a language, naming it', () => {
    const parsed = parseModelAnswer(JSON.stringify({ en: answer.en }), ['en', 'ru']);
    expect(parsed).toEqual({ ok: false, reason: 'the answer has no "ru" entry' });
  });

  it('rejects an empty title', () => {
    const parsed = parseModelAnswer(JSON.stringify({ en: { ...answer.en, title: '  ' } }), ['en']);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain('title');
  });

  it('rejects truncated JSON and plain prose', () => {
    expect(parseModelAnswer('{"en": {"title": "Broken", "description": ', ['en']).ok).toBe(false);
    expect(parseModelAnswer('I cannot see the image.', ['en'])).toEqual({ ok: false, reason: 'the answer holds no JSON object' });
  });
});
