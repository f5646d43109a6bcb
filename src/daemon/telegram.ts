import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Telegraf, Context } from 'telegraf';
import { hasPhotoExtension } from '../core/formats.js';
import type { JobExtras } from '../core/pipeline.js';
import type { ModelResult, PhotoOutcome } from '../core/types.js';
import { photoId, type Logger } from './log.js';

export interface TelegramOptions {
  token: string;
  apiRoot: string;
  allowedUsers: number[];
  allowGroups: boolean;
  maxFileMb: number;
  /** Downloads go to `<inbox>/<user id>/`; nothing is written anywhere else. */
  inbox: string;
  /** Put a downloaded photo on the daemon's queue (returns at once; the answer comes with its outcome). */
  enqueue: (file: string, extras: JobExtras) => void;
  /** Reviewed text for a photo (Edit): written instead of asking the model. */
  propose: (file: string, result: ModelResult) => Promise<void>;
  /** The user's failed photos. */
  failed: (user: string) => string[];
  /** Queue these photos (failed ones, for /retry) again. */
  retry: (user: string, files: string[]) => void;
  status: () => string;
  stats: (user: string) => string;
  /** Photos one user may have waiting at once. */
  maxQueuedPerUser: number;
  /** Photos one user may send per minute. */
  perUserPerMinute: number;
  webhook?: { url: string; host: string; port: number; path: string };
  log: Logger;
}

interface Waiting {
  chatId: number;
  user: number;
  statusMessageId: number;
  name: string;
  lang: 'en' | 'ru';
}

const TEXT = {
  en: {
    refuse: (id: number) => `Sorry, this bot is private. Your Telegram user ID is ${id}: ask its owner to add it to telegram.allowedUsers.`,
    help: 'Send me photos as files (📎 → File) and I write a title, a description and keywords into them and send them back. A compressed photo works too, but Telegram strips its metadata. A caption is passed on as context.\n/status: the queue\n/stats: your numbers\n/retry: try your failed photos again\n/lang en, ru or en+ru: the languages your photos get',
    notPhoto: (name: string) => `${name}: not a photo I can tag (JPEG, HEIC, PNG, WebP, TIFF, AVIF or RAW).`,
    tooLarge: (name: string, mb: number, max: number) => `${name} is ${mb.toFixed(1)} MB; the Bot API lets bots download at most ${max} MB.`,
    compressed: 'Telegram compressed this photo and removed its metadata; send it as a file to keep it.',
    queued: (name: string) => `⏳ ${name}: queued`,
    analyzing: (name: string) => `🔎 ${name}: analyzing`,
    writing: (name: string) => `✍️ ${name}: writing`,
    tooFast: (n: number) => `You sent ${n} photos in the last minute; please wait a little.`,
    done: (name: string) => `✅ ${name}: done`,
    failed: (name: string, reason: string) => `❌ ${name}: ${reason}`,
    regenerate: '🔄 Regenerate',
    edit: '✏️ Edit',
    editPrompt: (name: string) => `Reply to this message with the corrected text for ${name}: the title on the first line, the description on the second, the keywords (comma-separated) on the third.`,
    editBad: 'I need three lines: title, description, keywords.',
    gone: 'That photo is no longer here.',
    busy: (n: number) => `You already have ${n} photos waiting; send more when some are done.`,
    lang: (langs: string) => `Photos you send are tagged in: ${langs}.`,
    langUsage: 'Use /lang en, /lang ru or /lang en+ru.',
    retried: (n: number) => (n === 0 ? 'You have no failed photos.' : `Trying ${n} failed photo${n === 1 ? '' : 's'} again.`),
  },
  ru: {
    refuse: (id: number) => `Извините, это частный бот. Ваш ID в Telegram: ${id} — попросите владельца добавить его в telegram.allowedUsers.`,
    help: 'Пришлите фото файлом (📎 → Файл): я впишу в него название, описание и ключевые слова и пришлю обратно. Сжатое фото тоже подойдёт, но Telegram удаляет его метаданные. Подпись передаётся модели как контекст.\n/status — очередь\n/stats — ваша статистика\n/retry — повторить фото с ошибками\n/lang en, ru или en+ru — языки подписей',
    notPhoto: (name: string) => `${name}: это не фото, которое я умею подписывать (JPEG, HEIC, PNG, WebP, TIFF, AVIF или RAW).`,
    tooLarge: (name: string, mb: number, max: number) => `${name}: ${mb.toFixed(1)} МБ; Bot API позволяет ботам скачивать не больше ${max} МБ.`,
    compressed: 'Telegram сжал это фото и удалил его метаданные; пришлите его файлом, чтобы их сохранить.',
    queued: (name: string) => `⏳ ${name}: в очереди`,
    analyzing: (name: string) => `🔎 ${name}: анализ`,
    writing: (name: string) => `✍️ ${name}: запись`,
    tooFast: (n: number) => `Вы прислали ${n} фото за последнюю минуту; подождите немного.`,
    done: (name: string) => `✅ ${name}: готово`,
    failed: (name: string, reason: string) => `❌ ${name}: ${reason}`,
    regenerate: '🔄 Заново',
    edit: '✏️ Исправить',
    editPrompt: (name: string) => `Ответьте на это сообщение исправленным текстом для ${name}: название в первой строке, описание во второй, ключевые слова через запятую в третьей.`,
    editBad: 'Нужно три строки: название, описание, ключевые слова.',
    gone: 'Этого фото здесь больше нет.',
    busy: (n: number) => `У вас уже ${n} фото в очереди; пришлите ещё, когда часть будет готова.`,
    lang: (langs: string) => `Ваши фото подписываются на: ${langs}.`,
    langUsage: 'Используйте /lang en, /lang ru или /lang en+ru.',
    retried: (n: number) => (n === 0 ? 'У вас нет фото с ошибками.' : `Пробую ещё раз: ${n}.`),
  },
};

/**
 * The Telegram adapter (telegraf): allow-listed users send photos, which are downloaded into the inbox and
 * queued like any other; the answer goes out when the photo's outcome arrives. Handlers never wait for tagging.
 */
export class TelegramBot {
  private bot?: Telegraf;
  private readonly waiting = new Map<string, Waiting>();
  /** Photos sent back, by a short id the buttons carry (Telegram allows 64 bytes of callback data). */
  private readonly delivered = new Map<string, { file: string; name: string }>();
  /** Edit prompts awaiting a reply: prompt message id → photo id. */
  private readonly editing = new Map<number, string>();
  private readonly languages = new Map<number, string[]>();
  /** Photos each user has waiting, counted before the download starts (a burst arrives all at once). */
  private readonly perUser = new Map<number, number>();
  /** Edits of one photo's status message, in order (stage events are not awaited by the daemon). */
  private readonly edits = new Map<string, Promise<void>>();
  /** When each user's recent photos arrived, for the per-minute limit. */
  private readonly sent = new Map<number, number[]>();

  constructor(private readonly options: TelegramOptions) {}

  async start(): Promise<void> {
    const { Telegraf } = await import('telegraf');
    const bot = new Telegraf(this.options.token, { telegram: { apiRoot: this.options.apiRoot } });
    bot.use(async (ctx, next) => {
      if (!ctx.from || (ctx.chat?.type !== 'private' && !this.options.allowGroups)) return;
      if (!this.options.allowedUsers.includes(ctx.from.id)) {
        this.options.log.info('telegram: refused a user not on the list', { user: ctx.from.id });
        await ctx.reply(TEXT[this.lang(ctx)].refuse(ctx.from.id));
        return;
      }
      await next();
    });
    bot.start((ctx) => ctx.reply(TEXT[this.lang(ctx)].help));
    bot.help((ctx) => ctx.reply(TEXT[this.lang(ctx)].help));
    bot.command('status', (ctx) => ctx.reply(this.options.status()));
    bot.command('stats', (ctx) => ctx.reply(this.options.stats(String(ctx.from.id))));
    bot.command('lang', (ctx) => {
      const wanted = ctx.message.text.split(/\s+/u)[1]?.split(/[+,]/u).filter((l) => l === 'en' || l === 'ru');
      if (!wanted?.length) return ctx.reply(TEXT[this.lang(ctx)].langUsage);
      this.languages.set(ctx.from.id, [...new Set(wanted)]);
      return ctx.reply(TEXT[this.lang(ctx)].lang(wanted.join(' + ')));
    });
    bot.command('retry', async (ctx) => {
      const user = String(ctx.from.id);
      const files = this.options.failed(user);
      await ctx.reply(TEXT[this.lang(ctx)].retried(files.length));
      // Status messages first, so an answer that comes quickly finds its message.
      for (const file of files) {
        const name = path.basename(file).replace(/^\d+-/u, '');
        const status = await ctx.reply(TEXT[this.lang(ctx)].queued(name));
        this.waiting.set(file, { chatId: ctx.chat.id, user: ctx.from.id, statusMessageId: status.message_id, name, lang: this.lang(ctx) });
        this.perUser.set(ctx.from.id, (this.perUser.get(ctx.from.id) ?? 0) + 1);
      }
      if (files.length) this.options.retry(user, files);
    });
    bot.action(/^(regen|edit):(\w+)$/u, async (ctx) => {
      const [, action, id] = ctx.match;
      const photo = this.delivered.get(id!);
      await ctx.answerCbQuery();
      if (!photo || !fs.existsSync(photo.file)) return ctx.reply(TEXT[this.lang(ctx)].gone);
      if (action === 'regen') return this.queue(ctx, photo.file, photo.name, { regenerate: true, again: true });
      const prompt = await ctx.reply(TEXT[this.lang(ctx)].editPrompt(photo.name), { reply_markup: { force_reply: true } });
      this.editing.set(prompt.message_id, id!);
    });
    bot.on('text', async (ctx, next) => {
      const replyTo = ctx.message.reply_to_message?.message_id;
      const id = replyTo === undefined ? undefined : this.editing.get(replyTo);
      if (!id) return next();
      const photo = this.delivered.get(id);
      const [title, description, keywords] = ctx.message.text.split('\n').map((l) => l.trim());
      if (!photo || !title || !description || !keywords) return ctx.reply(TEXT[this.lang(ctx)].editBad);
      this.editing.delete(replyTo!);
      const langs = this.languages.get(ctx.from.id);
      const primary = langs?.[0] ?? 'en';
      await this.options.propose(photo.file, { [primary]: { title, description, keywords: keywords.split(',').map((k) => k.trim()).filter(Boolean) } });
      return this.queue(ctx, photo.file, photo.name, { again: true, languages: [primary] });
    });
    bot.on('document', (ctx) => {
      const doc = ctx.message.document;
      const name = safeName(doc.file_name ?? 'photo.jpg');
      return this.receive(ctx, doc.file_id, doc.file_size, name, Boolean(doc.mime_type?.startsWith('image/')) || hasPhotoExtension(name), ctx.message.caption);
    });
    bot.on('photo', async (ctx) => {
      const photo = ctx.message.photo.at(-1)!;
      await ctx.reply(TEXT[this.lang(ctx)].compressed);
      return this.receive(ctx, photo.file_id, photo.file_size, `photo-${photo.file_unique_id}.jpg`, true, ctx.message.caption);
    });
    bot.catch((error) => this.options.log.error('telegram handler failed', { error: (error as Error).message }));
    const webhook = this.options.webhook;
    if (webhook) {
      // Telegram signs every webhook request with this secret; a request without it is refused.
      const secretToken = randomBytes(24).toString('hex');
      await bot.launch({ webhook: { domain: webhook.url, path: webhook.path, host: webhook.host, port: webhook.port, secretToken } });
    } else {
      // launch() resolves only when polling stops: not awaited.
      void bot.launch().catch((error: unknown) => this.options.log.error('telegram polling stopped', { error: (error as Error).message }));
    }
    this.bot = bot;
    this.options.log.info('telegram bot started', { allowedUsers: this.options.allowedUsers.length, mode: webhook ? 'webhook' : 'long polling' });
  }

  stop(): void {
    this.bot?.stop('shutdown');
  }

  private async receive(ctx: Context, fileId: string, size: number | undefined, name: string, isPhoto: boolean, caption: string | undefined): Promise<void> {
    const text = TEXT[this.lang(ctx)];
    if (!isPhoto) {
      await ctx.reply(text.notPhoto(name));
      return;
    }
    const mb = (size ?? 0) / (1024 * 1024);
    if (mb > this.options.maxFileMb) {
      await ctx.reply(text.tooLarge(name, mb, this.options.maxFileMb));
      return;
    }
    const user = ctx.from!.id;
    const folder = path.join(this.options.inbox, String(user));
    const target = path.join(folder, `${Date.now()}-${name}`);
    // Whatever the name said, the file stays inside the user's folder.
    if (path.dirname(path.resolve(target)) !== path.resolve(folder)) throw new Error('unsafe file name');
    const queued = this.perUser.get(user) ?? 0;
    if (queued >= this.options.maxQueuedPerUser) {
      await ctx.reply(text.busy(queued));
      return;
    }
    const now = Date.now();
    const recent = (this.sent.get(user) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= this.options.perUserPerMinute) {
      await ctx.reply(text.tooFast(recent.length));
      return;
    }
    this.sent.set(user, [...recent, now]);
    this.perUser.set(user, queued + 1);
    try {
      // getFileLink puts the bot token in the URL: it is never logged.
      const link = await ctx.telegram.getFileLink(fileId);
      const response = await fetch(link);
      if (!response.ok) throw new Error(`download failed: HTTP ${response.status}`);
      fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(target, Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      this.release(user);
      throw error;
    }
    await this.queue(ctx, target, name, { hint: caption }, false);
  }

  private lang(ctx: Context): 'en' | 'ru' {
    return lang(ctx, ctx.from ? this.languages.get(ctx.from.id) : undefined);
  }

  /** Progress in the photo's one status message: analyzing, writing (done or failed come with the outcome). */
  async stage(file: string, stage: 'reading' | 'analyzing' | 'writing'): Promise<void> {
    const waiting = this.waiting.get(file);
    const telegram = this.bot?.telegram;
    if (!waiting || !telegram || stage === 'reading') return;
    const text = TEXT[waiting.lang][stage](waiting.name);
    await this.inOrder(file, () => withRetryAfter(() => telegram.editMessageText(waiting.chatId, waiting.statusMessageId, undefined, text)));
  }

  private inOrder(file: string, edit: () => Promise<unknown>): Promise<void> {
    const next = (this.edits.get(file) ?? Promise.resolve()).then(edit).then(
      () => undefined,
      () => undefined,
    );
    this.edits.set(file, next);
    return next;
  }

  private release(user: number): void {
    this.perUser.set(user, Math.max(0, (this.perUser.get(user) ?? 1) - 1));
  }

  /** One status message per photo, then onto the daemon's queue; the handler returns at once. */
  private async queue(ctx: Context, file: string, name: string, extras: JobExtras, count = true): Promise<void> {
    const user = ctx.from!.id;
    if (count) this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
    const status = await ctx.reply(TEXT[this.lang(ctx)].queued(name));
    this.waiting.set(file, { chatId: ctx.chat!.id, user, statusMessageId: status.message_id, name, lang: this.lang(ctx) });
    this.options.enqueue(file, { source: 'telegram', telegramUser: String(user), languages: this.languages.get(user), ...extras });
  }

  /** The daemon calls this for every finished photo; the bot answers the ones it queued. */
  async outcome(outcome: PhotoOutcome): Promise<void> {
    const waiting = this.waiting.get(outcome.file);
    const telegram = this.bot?.telegram;
    if (!waiting || !telegram) return;
    this.waiting.delete(outcome.file);
    this.release(waiting.user);
    await this.edits.get(outcome.file); // the stage edits first
    this.edits.delete(outcome.file);
    const text = TEXT[waiting.lang];
    try {
      if (outcome.status === 'failed') {
        await withRetryAfter(() => telegram.editMessageText(waiting.chatId, waiting.statusMessageId, undefined, text.failed(waiting.name, outcome.reason ?? 'failed')));
        return;
      }
      await withRetryAfter(() => telegram.editMessageText(waiting.chatId, waiting.statusMessageId, undefined, text.done(waiting.name)));
      await withRetryAfter(() => telegram.sendDocument(waiting.chatId, { source: fs.createReadStream(outcome.file), filename: waiting.name }));
      const id = photoId(outcome.file);
      this.delivered.set(id, { file: outcome.file, name: waiting.name });
      const keywords = outcome.keywords?.join(', ') ?? '';
      await withRetryAfter(() =>
        telegram.sendMessage(waiting.chatId, [outcome.title, outcome.description, keywords].filter(Boolean).join('\n\n'), {
          reply_markup: { inline_keyboard: [[{ text: text.regenerate, callback_data: `regen:${id}` }, { text: text.edit, callback_data: `edit:${id}` }]] },
        }),
      );
    } catch (error) {
      this.options.log.error('telegram reply failed', { error: (error as Error).message });
    }
  }
}

/** A hostile name loses its folders, control characters and leading dots. */
export function safeName(name: string): string {
  const base = path.basename(name.replace(/\\/gu, '/')).replace(/[\u0000-\u001f<>:"|?*\u007f]/gu, '_').replace(/^\.+/u, '').trim();
  return (base || 'photo.jpg').slice(-120);
}

/** Telegram's 429 says how long to wait (`parameters.retry_after`): wait that long, then try again, twice at most. */
async function withRetryAfter<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const wait = (error as { parameters?: { retry_after?: number } }).parameters?.retry_after;
      if (wait === undefined || attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
  }
}

/** The bot's language: the user's /lang choice (its first language), else their Telegram language. */
function lang(ctx: Context, preferred?: string[]): 'en' | 'ru' {
  if (preferred?.[0] === 'ru' || preferred?.[0] === 'en') return preferred[0];
  return ctx.from?.language_code?.startsWith('ru') ? 'ru' : 'en';
}
