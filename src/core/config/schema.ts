import { z } from 'zod';

import { PROFILES } from '../profiles.js';
import { PROVIDERS } from './providers.js';
import { DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, PLACEHOLDERS, unknownPlaceholders } from '../vision/prompt.js';

export { PROVIDERS, type ProviderName } from './providers.js';

const language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/u, 'a language code such as "en" or "ru"');

/** `prompt.template`: every `{name}` must be one of these (README lists what each becomes). */
const promptSettings = z
  .object({
    /** Text added after the built-in instructions (house style, words to prefer or avoid). */
    extra: z.string().min(1).optional(),
    /** Instructions that replace the built-in ones; `{placeholders}` are filled per photo. */
    template: z
      .string()
      .min(1)
      .superRefine((text, context) => {
        const unknown = unknownPlaceholders(text);
        if (unknown.length > 0)
          context.addIssue({
            code: 'custom',
            message: `known placeholders only (${PLACEHOLDERS.map((name) => `{${name}}`).join(', ')}); unknown: ${unknown.map((name) => `{${name}}`).join(', ')}`,
          });
      })
      .optional(),
  })
  .strict();

/**
 * `model` is a model id (`model: auto`, as always) or a group of model settings (`model: {id: auto, …}`); a
 * plain id is read as `{id}`, so every old config keeps working and `config.model` has one shape in the code.
 */
const modelSettings = z
  .object(
    {
      /** A model id, or `auto`: the provider's free vision models, with fallback between them. */
      id: z.string().min(1).default('auto'),
      /** Let `auto` choose a paid model where no free one is offered (OpenAI's gpt-4o-mini, OpenRouter's cheapest vision model). */
      allowPaid: z.boolean().default(false),
      /** A model to use when no free vision model is offered, or when every candidate is paused by the breaker. */
      fallback: z.string().min(1).optional(),
      /** Sampling temperature sent with every call (low: the same photo gets much the same words). */
      temperature: z.number().min(0).max(2).default(DEFAULT_TEMPERATURE),
      /** The answer's token budget (reasoning models spend part of it thinking). */
      maxTokens: z.int().min(256).max(200_000).default(DEFAULT_MAX_TOKENS),
    },
    { error: (issue) => (issue.code === 'invalid_type' ? 'a model id such as "auto", or an object of model settings' : undefined) },
  )
  .strict();

/**
 * Every config key, its type and default. README's "Configuration" table mirrors this. A key marked
 * `.meta({ secret: true })` is never printed, logged or backed up (src/core/config/secrets.ts reads the marks).
 */
export const configSchema = z
  .object({
    provider: z.enum(PROVIDERS).optional(),
    baseUrl: z.url({ protocol: /^https?$/u }).optional(),
    apiKey: z.string().min(1).optional().meta({ secret: true }),
    model: z.preprocess((value) => (typeof value === 'string' ? { id: value } : value), modelSettings).prefault({}),
    prompt: promptSettings.prefault({}),
    languages: z.array(language).min(1).default(['en']),
    maxKeywords: z.int().min(1).max(200).default(30),
    bannedKeywords: z.array(z.string()).default([]),
    profile: z.enum(PROFILES).default('generic'),
    requiredKeywords: z.array(z.string()).default([]),
    /** Folder → keywords every photo under it gets (e.g. the shoot's location). */
    folderKeywords: z.record(z.string(), z.array(z.string())).default({}),
    /** Tell the model the place from the photo's GPS (offline lookup, never a network call). */
    geocode: z.boolean().default(false),
    concurrency: z.int().min(1).max(32).default(2),
    rpm: z.number().min(0).optional(),
    timeoutSeconds: z.number().positive().max(3600).default(120),
    maxAttempts: z.int().min(1).max(10).default(3),
    /** First pause of a model that keeps failing or a provider that cannot be reached (doubles, up to 15 min). */
    pauseSeconds: z.number().positive().max(900).default(60),
    /** The provider's model list (`/models`). `modelListHours`, its old name, is read as `catalogue.refreshHours`. */
    catalogue: z
      .object({
        /** How long the list is kept; `serve` reads it again this often while it runs. */
        refreshHours: z
          .number()
          .positive()
          .max(24 * 30)
          .default(24),
      })
      .strict()
      .prefault({}),
    maxEdge: z.int().min(256).max(4096).default(1024),
    jpegQuality: z.int().min(30).max(100).default(80),
    sidecar: z.boolean().default(false),
    sidecarName: z.enum(['base', 'ext']).default('base'),
    overwrite: z.boolean().default(false),
    force: z.boolean().default(false),
    backup: z.boolean().default(false),
    /** Give a photo a new modification time when it is written (default: keep it). */
    updateMtime: z.boolean().default(false),
    dataDir: z.string().min(1).optional(),
    telegram: z
      .object({
        /** The bot token from @BotFather; prefer TELEGRAM_BOT_TOKEN. */
        token: z.string().min(1).optional().meta({ secret: true }),
        allowedUsers: z.array(z.int().positive()).default([]),
        allowGroups: z.boolean().default(false),
        /** A self-hosted Bot API server (its downloads go beyond 20 MB). */
        apiRoot: z.url({ protocol: /^https?$/u }).default('https://api.telegram.org'),
        maxFileMb: z.number().positive().max(2000).default(20),
        /** Photos one user may have waiting at once; more get a friendly "wait" message. */
        maxQueuedPerUser: z.int().min(1).default(20),
        /** Photos one user may send per minute; more get a friendly "wait" message. */
        perUserPerMinute: z.int().min(1).default(60),
        /** Downloads under <data dir>/telegram/ are deleted after this many days (0: kept forever). */
        retentionDays: z.number().min(0).default(30),
        /** Webhook instead of long polling: Telegram posts updates to `url` (https, via your proxy) → host:port/path here. */
        webhook: z
          .object({
            url: z.url({ protocol: /^https$/u }),
            host: z.string().min(1).default('127.0.0.1'),
            port: z.int().min(1).max(65535).default(8443),
            path: z.string().startsWith('/').default('/telegram'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}), // an absent group gets every inner default
    serve: z
      .object({
        watch: z.array(z.string().min(1)).default([]),
        host: z.string().min(1).default('127.0.0.1'),
        port: z.int().min(0).max(65535).default(8787),
        /** Bearer token for state-changing requests; prefer tokenFile. */
        token: z.string().min(16, 'a token of at least 16 characters').optional().meta({ secret: true }),
        tokenFile: z.string().min(1).optional(),
        scanOnStart: z.boolean().default(true),
        polling: z.boolean().default(false),
        pollIntervalSeconds: z.number().positive().default(5),
        stableSeconds: z.number().positive().max(600).default(3),
        rescanMinutes: z.number().min(0).default(360),
        processedDir: z.string().min(1).optional(),
        failedDir: z.string().min(1).optional(),
        shutdownSeconds: z.number().positive().max(3600).default(30),
        /** Largest photo `POST /api/photos` takes (MB); uploads live under <data dir>/uploads/, kept telegram.retentionDays. */
        uploadMaxMb: z.number().positive().max(2000).default(100),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
