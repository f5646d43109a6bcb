/**
 * Which writing systems a language's words are in. A keyword of `en` is Latin, of `ru` Cyrillic: a model
 * that slips `собака` into the English list (or `dog` into the Russian one) is wrong, and a stock agency
 * rejects a mixed-language list. Digits, punctuation and symbols belong to every language.
 */
const LATIN = ['Latin'];
const CYRILLIC = ['Cyrillic'];
const SCRIPTS_OF: Record<string, readonly string[]> = {
  ...Object.fromEntries(
    [
      'en',
      'de',
      'fr',
      'es',
      'it',
      'pt',
      'nl',
      'sv',
      'da',
      'no',
      'nb',
      'nn',
      'fi',
      'is',
      'pl',
      'cs',
      'sk',
      'sl',
      'hr',
      'bs',
      'ro',
      'hu',
      'tr',
      'az',
      'uz',
      'id',
      'ms',
      'vi',
      'tl',
      'ca',
      'eu',
      'gl',
      'et',
      'lv',
      'lt',
      'sq',
      'ga',
      'cy',
      'af',
      'sw',
      'mt',
      'lb',
      'eo',
    ].map((code) => [code, LATIN]),
  ),
  ...Object.fromEntries(['ru', 'uk', 'be', 'bg', 'mk', 'kk', 'ky', 'mn', 'tg'].map((code) => [code, CYRILLIC])),
  sr: ['Cyrillic', 'Latin'],
  el: ['Greek'],
  he: ['Hebrew'],
  yi: ['Hebrew'],
  ar: ['Arabic'],
  fa: ['Arabic'],
  ur: ['Arabic'],
  hi: ['Devanagari'],
  mr: ['Devanagari'],
  ne: ['Devanagari'],
  bn: ['Bengali'],
  ta: ['Tamil'],
  te: ['Telugu'],
  th: ['Thai'],
  ka: ['Georgian'],
  hy: ['Armenian'],
  // Latin initialisms (LED, DNA) are ordinary in Chinese, Japanese and Korean keyword lists.
  zh: ['Han', 'Latin'],
  ja: ['Han', 'Hiragana', 'Katakana', 'Latin'],
  ko: ['Hangul', 'Han', 'Latin'],
};

const patterns = new Map<string, RegExp>();
function scriptPattern(script: string): RegExp {
  let pattern = patterns.get(script);
  if (!pattern) {
    pattern = new RegExp(`\\p{Script=${script}}`, 'u');
    patterns.set(script, pattern);
  }
  return pattern;
}

/** The scripts of a language code (`pt-BR` as `pt`), or undefined for a language phototag does not know. */
export function scriptsOf(language: string): readonly string[] | undefined {
  return SCRIPTS_OF[language.toLowerCase().split(/[-_]/u)[0]!];
}

/** Letters of `text` in the language's scripts, and all its letters (marks, digits and symbols are neutral). */
function letterCounts(text: string, scripts: readonly string[]): { own: number; all: number } {
  let own = 0;
  let all = 0;
  for (const char of text) {
    if (!/\p{L}/u.test(char)) continue;
    all++;
    if (scripts.some((script) => scriptPattern(script).test(char))) own++;
  }
  return { own, all };
}

/** Every letter is in the language's script (true for an unknown language, and for `2024` or `4×4`). */
export function isInScriptOf(text: string, language: string): boolean {
  const scripts = scriptsOf(language);
  if (!scripts) return true;
  const { own, all } = letterCounts(text, scripts);
  return own === all;
}

/** Most letters are in the language's script: a title may quote a name in another (`Sign reading "Москва"`). */
export function isMostlyInScriptOf(text: string, language: string): boolean {
  const scripts = scriptsOf(language);
  if (!scripts) return true;
  const { own, all } = letterCounts(text, scripts);
  return all === 0 || own * 2 > all;
}
