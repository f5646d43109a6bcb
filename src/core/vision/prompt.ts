/** Bump when the prompt changes what a model returns: cached answers are keyed by it. */
export const PROMPT_VERSION = 3;

const LANGUAGE_NAMES: Record<string, string> = {
  en: 'English',
  ru: 'Russian',
  de: 'German',
  fr: 'French',
  es: 'Spanish',
  it: 'Italian',
  uk: 'Ukrainian',
  pt: 'Portuguese',
  ja: 'Japanese',
  zh: 'Chinese',
};

export function languageName(code: string): string {
  return LANGUAGE_NAMES[code] ?? code;
}

export function systemPrompt(): string {
  return [
    'You write catalogue metadata for photographs: a title, a description and keywords.',
    'Describe only what is visible. Do not invent names of places, people, brands or events you cannot see or read in the image; stay generic instead.',
    'Answer with exactly one JSON object and nothing else.',
  ].join(' ');
}

export function userPrompt(languages: readonly string[], maxKeywords: number, context: readonly string[] = []): string {
  const shape = Object.fromEntries(languages.map((lang) => [lang, { title: '…', description: '…', keywords: ['…'] }]));
  return [
    `Return one JSON object with one entry per language code (${languages.map((l) => `"${l}" = ${languageName(l)}`).join(', ')}), shaped exactly like:`,
    JSON.stringify(shape),
    'title: 4 to 10 words, at most 70 characters, no trailing period.',
    'description: one or two plain sentences, at most 200 characters: the subject, the setting, the action, the mood.',
    `keywords: ${Math.min(15, maxKeywords)} to ${maxKeywords} single words or short phrases, the most important first; no duplicates. Common words in lower case; names of places, people, landmarks and events keep their usual capitals (Lisbon, Eiffel Tower).`,
    'Each language entry is written natively in that language and its own script, not transliterated; no words of another language in its keywords.',
    ...(context.length
      ? [
          'Context from the photo file (use it where it fits what you see; never invent names of places or people you cannot see or read):',
          ...context,
        ]
      : []),
  ].join('\n');
}

/** JSON schema for servers that support structured output. */
export function responseSchema(languages: readonly string[]): Record<string, unknown> {
  const entry = {
    type: 'object',
    properties: {
      title: { type: 'string' },
      description: { type: 'string' },
      keywords: { type: 'array', items: { type: 'string' } },
    },
    required: ['title', 'description', 'keywords'],
    additionalProperties: false,
  };
  return {
    type: 'object',
    properties: Object.fromEntries(languages.map((lang) => [lang, entry])),
    required: [...languages],
    additionalProperties: false,
  };
}
