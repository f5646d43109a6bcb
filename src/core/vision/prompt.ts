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

/** The model settings' defaults (config `model.temperature`, `model.maxTokens`). */
export const DEFAULT_TEMPERATURE = 0.2;
export const DEFAULT_MAX_TOKENS = 4096;

/** The length limits the built-in instructions state (the stock profiles cut harder after the answer). */
const TITLE_MAX_CHARS = 70;
const DESCRIPTION_MAX_CHARS = 200;

/** Placeholders `prompt.template` may use; README documents what each becomes. */
export const PLACEHOLDERS = [
  'languages',
  'shape',
  'minKeywords',
  'maxKeywords',
  'titleMaxChars',
  'descriptionMaxChars',
  'context',
] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/** `{{` and `}}` are literal braces; `{name}` of letters is a placeholder; any other brace is text (JSON in a template). */
const TOKEN = /\{\{|\}\}|\{([A-Za-z]+)\}/gu;

export function unknownPlaceholders(template: string): string[] {
  const names = [...template.matchAll(TOKEN)].map((match) => match[1]).filter((name): name is string => name !== undefined);
  return [...new Set(names.filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name)))];
}

/** The operator's own instructions (config `prompt`): a template replacing the built-in ones, text added after. */
export interface PromptSettings {
  template?: string;
  extra?: string;
}

/** The user message's text: the built-in instructions or the template, then `extra`. */
export function instructions(
  languages: readonly string[],
  maxKeywords: number,
  context: readonly string[] = [],
  settings: PromptSettings = {},
): string {
  const base = settings.template
    ? fillTemplate(settings.template, placeholderValues(languages, maxKeywords, context))
    : userPrompt(languages, maxKeywords, context);
  return settings.extra ? `${base}\n${settings.extra}` : base;
}

function placeholderValues(languages: readonly string[], maxKeywords: number, context: readonly string[]): Record<Placeholder, string> {
  return {
    languages: languageList(languages),
    shape: JSON.stringify(answerShape(languages)),
    minKeywords: String(Math.min(15, maxKeywords)),
    maxKeywords: String(maxKeywords),
    titleMaxChars: String(TITLE_MAX_CHARS),
    descriptionMaxChars: String(DESCRIPTION_MAX_CHARS),
    context: context.join('\n'),
  };
}

function fillTemplate(template: string, values: Record<Placeholder, string>): string {
  return template.replace(TOKEN, (token: string, name?: string) => {
    if (token === '{{') return '{';
    if (token === '}}') return '}';
    return values[name as Placeholder] ?? token; // unknown names are refused when the config is read
  });
}

function languageList(languages: readonly string[]): string {
  return languages.map((l) => `"${l}" = ${languageName(l)}`).join(', ');
}

function answerShape(languages: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(languages.map((lang) => [lang, { title: '…', description: '…', keywords: ['…'] }]));
}

export function userPrompt(languages: readonly string[], maxKeywords: number, context: readonly string[] = []): string {
  const shape = answerShape(languages);
  return [
    `Return one JSON object with one entry per language code (${languageList(languages)}), shaped exactly like:`,
    JSON.stringify(shape),
    `title: 4 to 10 words, at most ${TITLE_MAX_CHARS} characters, no trailing period.`,
    `description: one or two plain sentences, at most ${DESCRIPTION_MAX_CHARS} characters: the subject, the setting, the action, the mood.`,
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
