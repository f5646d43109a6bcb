import { PhotoError } from './errors.js';
import { mergeKeywords, normalizeKeywords } from './keywords.js';
import { isInScriptOf, isMostlyInScriptOf, scriptsOf } from './scripts.js';
import { squashSpace } from './text.js';
import type { ModelResult } from './types.js';

export const PROFILES = ['generic', 'adobe-stock', 'shutterstock'] as const;
export type ProfileName = (typeof PROFILES)[number];

interface ProfileRules {
  titleMax?: number;
  descriptionMax?: number;
  minKeywords: number;
  maxKeywords?: number;
  /** Keywords in the primary language only (agencies reject mixed-language keyword lists). */
  primaryLanguageOnly: boolean;
  /** The primary language the agency requires. */
  language?: string;
  /** The title also goes to IPTC:Headline and XMP-photoshop:Headline (importers read it when ObjectName is absent). */
  headline?: boolean;
}

/** What each agency accepts (Adobe Stock: title ≤ 70 characters, ≤ 49 keywords; Shutterstock: description ≤ 200, 7–50 keywords, English). */
export const PROFILE_RULES: Record<ProfileName, ProfileRules> = {
  generic: { minKeywords: 1, primaryLanguageOnly: false },
  'adobe-stock': { titleMax: 70, minKeywords: 1, maxKeywords: 49, primaryLanguageOnly: true, headline: true },
  shutterstock: { descriptionMax: 200, minKeywords: 7, maxKeywords: 50, primaryLanguageOnly: true, language: 'en', headline: true },
};

/** Fields the profile adds to the usual ones (planWrite's extras). */
export function profileFields(profile: ProfileName): { headline?: boolean } {
  return PROFILE_RULES[profile].headline ? { headline: true } : {};
}

/** Words no agency wants as keywords: the medium itself, AI tools, and common brands and trademarks. */
export const DEFAULT_BANNED = [
  'ai',
  'ai generated',
  'ai-generated',
  'generative ai',
  'chatgpt',
  'midjourney',
  'dall-e',
  'stable diffusion',
  'image',
  'photo',
  'photograph',
  'photography',
  'picture',
  'pic',
  'stock',
  'stock photo',
  'jpeg',
  'jpg',
  'apple',
  'iphone',
  'ipad',
  'macbook',
  'samsung',
  'galaxy',
  'google',
  'android',
  'microsoft',
  'windows',
  'facebook',
  'instagram',
  'tiktok',
  'youtube',
  'twitter',
  'amazon',
  'coca-cola',
  'coca cola',
  'coke',
  'pepsi',
  'nike',
  'adidas',
  'puma',
  'gucci',
  'louis vuitton',
  'chanel',
  'rolex',
  'lego',
  'disney',
  'marvel',
  'barbie',
  "mcdonald's",
  'mcdonalds',
  'starbucks',
  'ikea',
  'tesla',
  'bmw',
  'mercedes',
  'mercedes-benz',
  'audi',
  'volkswagen',
  'toyota',
  'ferrari',
  'porsche',
  'harley-davidson',
  'canon',
  'nikon',
  'sony',
  'gopro',
  'dji',
  'red bull',
];

export interface ProfileOptions {
  profile: ProfileName;
  languages: readonly string[];
  maxKeywords: number;
  banned: readonly string[];
  /** From config and from the photo's folder; added first (the first ten keywords count most). */
  required: readonly string[];
}

/**
 * Enforce a profile on the model's answer: keywords normalised, banned words and singular/plural twins
 * removed, required ones added, counts and lengths cut to the agency's limits. An answer that cannot meet
 * a minimum fails the photo instead of being written.
 */
export function applyProfile(result: ModelResult, options: ProfileOptions): ModelResult {
  const rules = PROFILE_RULES[options.profile];
  const primary = options.languages[0]!;
  if (rules.language && primary !== rules.language) {
    throw new PhotoError(
      'invalid-output',
      `the ${options.profile} profile needs ${rules.language} as the first language (--lang ${rules.language}…)`,
    );
  }
  const max = Math.min(options.maxKeywords, rules.maxKeywords ?? Infinity);
  // Agencies reject brand names and filler; a personal library keeps what the user did not ban.
  const banned = options.profile === 'generic' ? options.banned : [...DEFAULT_BANNED, ...options.banned];
  const shaped: ModelResult = {};
  for (const lang of options.languages) {
    const entry = result[lang]!;
    const keepKeywords = !rules.primaryLanguageOnly || lang === primary;
    // A keyword in another language's script is that language's word, not this one's (the user's own are kept).
    const ownScript = entry.keywords.filter((keyword) => isInScriptOf(keyword, lang));
    const cleaned = mergePlurals(normalizeKeywords(ownScript, { max: Number.MAX_SAFE_INTEGER, banned }));
    // An agency rejects a title in another language; a personal library keeps what the model wrote (a title
    // cannot be dropped like a keyword, and failing the photo would cost more than it saves).
    if (rules.primaryLanguageOnly && lang === primary && !isMostlyInScriptOf(entry.title, lang)) {
      throw new PhotoError(
        'invalid-output',
        `the model's ${lang} title is not in ${scriptsOf(lang)!.join('/')} script: "${cutAtWord(squashSpace(entry.title), 60)}"`,
      );
    }
    const keywords = keepKeywords
      ? mergeKeywords(normalizeKeywords(options.required, { max: Number.MAX_SAFE_INTEGER }), cleaned).slice(0, max)
      : [];
    shaped[lang] = {
      title: cutAtWord(squashSpace(entry.title).replace(/[.。]+$/u, ''), rules.titleMax),
      description: cutAtWord(squashSpace(entry.description), rules.descriptionMax),
      keywords,
    };
  }
  const count = shaped[primary]!.keywords.length;
  if (count < rules.minKeywords) {
    throw new PhotoError(
      'invalid-output',
      `${options.profile} needs at least ${rules.minKeywords} keywords; after removing duplicates, banned words and words in another language's script the model's answer has ${count}`,
    );
  }
  return shaped;
}

/** "car" and "cars", "city" and "cities", "box" and "boxes": keep the one that came first. */
export function mergePlurals(keywords: readonly string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const keyword of keywords) {
    const forms = wordForms(keyword.toLocaleLowerCase());
    if (forms.some((form) => seen.has(form))) continue;
    for (const form of forms) seen.add(form);
    result.push(keyword);
  }
  return result;
}

function wordForms(word: string): string[] {
  const forms = [word];
  if (!/^[a-z][a-z -]*$/u.test(word) || word.length < 3) return forms;
  if (word.endsWith('ies')) forms.push(`${word.slice(0, -3)}y`);
  else if (/(s|x|z|ch|sh)es$/u.test(word)) forms.push(word.slice(0, -2));
  else if (word.endsWith('s') && !word.endsWith('ss')) forms.push(word.slice(0, -1));
  if (word.endsWith('y') && !/[aeiou]y$/u.test(word)) forms.push(`${word.slice(0, -1)}ies`);
  else if (/(s|x|z|ch|sh)$/u.test(word)) forms.push(`${word}es`);
  else forms.push(`${word}s`);
  return forms;
}

/** Cut to `max` characters at a word boundary, never mid-word. */
export function cutAtWord(text: string, max: number | undefined): string {
  if (max === undefined || text.length <= max) return text;
  const cut = text.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  return (space > max / 2 ? cut.slice(0, space) : text.slice(0, max)).replace(/[\s,;:–-]+$/u, '');
}
