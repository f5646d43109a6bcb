import fs from 'node:fs';
import path from 'node:path';
import type { Telegraf, Context } from 'telegraf';
import { hasPhotoExtension } from '../core/formats.js';
import type { JobExtras } from '../core/pipeline.js';
import type { PhotoOutcome } from '../core/types.js';
import type { Logger } from './log.js';

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
  status: () => string;
  log: Logger;
}

interface Waiting {
  chatId: number;
  statusMessageId: number;
  name: string;
  lang: 'en' | 'ru';
}

const TEXT = {
  en: {
    refuse: (id: number) => `Sorry, this bot is private. Your Telegram user ID is ${id}: ask its owner to add it to telegram.allowedUsers.`,
    help: 'Send me photos as files (📎 → File) and I write a title, a description and keywords into them and send them back. A compressed photo works too, but Telegram strips its metadata. A caption is passed on as context.\n/status: the queue',
    notPhoto: (name: string) => `${name}: not a photo I can tag (JPEG, HEIC, PNG, WebP, TIFF, AVIF or RAW).`,
    tooLarge: (name: string, mb: number, max: number) => `${name} is ${mb.toFixed(1)} MB; the Bot API lets bots download at most ${max} MB.`,
    compressed: 'Telegram compressed this photo and removed its metadata; send it as a file to keep it.',
    queued: (name: string) => `⏳ ${name}: queued`,
    done: (name: string) => `✅ ${name}: done`,
    failed: (name: string, reason: string) => `❌ ${name}: ${reason}`,
  },
  ru: {
    refuse: (id: number) => `Извините, это частный бот. Ваш ID в Telegram: ${id} — попросите владельца добавить его в telegram.allowedUsers.`,
    help: 'Пришлите фото файлом (📎 → Файл): я впишу в него название, описание и ключевые слова и пришлю обратно. Сжатое фото тоже подойдёт, но Telegram удаляет его метаданные. Подпись передаётся модели как контекст.\n/status — очередь',
    notPhoto: (name: string) => `${name}: это не фото, которое я умею подписывать (JPEG, HEIC, PNG, WebP, TIFF, AVIF или RAW).`,
    tooLarge: (name: string, mb: number, max: number) => `${name}: ${mb.toFixed(1)} МБ; Bot API позволяет ботам скачивать не больше ${max} МБ.`,
    compressed: 'Telegram сжал это фото и удалил его метаданные; пришлите его файлом, чтобы их сохранить.',
    queued: (name: string) => `⏳ ${name}: в очереди`,
    done: (name: string) => `✅ ${name}: готово`,
    failed: (name: string, reason: string) => `❌ ${name}: ${reason}`,
  },
};

/**
 * The Telegram adapter (telegraf): allow-listed users send photos, which are downloaded into the inbox and
 * queued like any other; the answer goes out when the photo's outcome arrives. Handlers never wait for tagging.
 */
export class TelegramBot {
  private bot?: Telegraf;
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly options: TelegramOptions) {}

  async start(): Promise<void> {
    const { Telegraf } = await import('telegraf');
    const bot = new Telegraf(this.options.token, { telegram: { apiRoot: this.options.apiRoot } });
    bot.use(async (ctx, next) => {
      if (!ctx.from || (ctx.chat?.type !== 'private' && !this.options.allowGroups)) return;
      if (!this.options.allowedUsers.includes(ctx.from.id)) {
        this.options.log.info('telegram: refused a user not on the list', { user: ctx.from.id });
        await ctx.reply(TEXT[lang(ctx)].refuse(ctx.from.id));
        return;
      }
      await next();
    });
    bot.start((ctx) => ctx.reply(TEXT[lang(ctx)].help));
    bot.help((ctx) => ctx.reply(TEXT[lang(ctx)].help));
    bot.command('status', (ctx) => ctx.reply(this.options.status()));
    bot.on('document', (ctx) => {
      const doc = ctx.message.document;
      const name = safeName(doc.file_name ?? 'photo.jpg');
      return this.receive(ctx, doc.file_id, doc.file_size, name, Boolean(doc.mime_type?.startsWith('image/')) || hasPhotoExtension(name), ctx.message.caption);
    });
    bot.on('photo', async (ctx) => {
      const photo = ctx.message.photo.at(-1)!;
      await ctx.reply(TEXT[lang(ctx)].compressed);
      return this.receive(ctx, photo.file_id, photo.file_size, `photo-${photo.file_unique_id}.jpg`, true, ctx.message.caption);
    });
    bot.catch((error) => this.options.log.error('telegram handler failed', { error: (error as Error).message }));
    // launch() resolves only when polling stops: not awaited.
    void bot.launch().catch((error: unknown) => this.options.log.error('telegram polling stopped', { error: (error as Error).message }));
    this.bot = bot;
    this.options.log.info('telegram bot started', { allowedUsers: this.options.allowedUsers.length });
  }

  stop(): void {
    this.bot?.stop('shutdown');
  }

  private async receive(ctx: Context, fileId: string, size: number | undefined, name: string, isPhoto: boolean, caption: string | undefined): Promise<void> {
    const text = TEXT[lang(ctx)];
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
    const status = await ctx.reply(text.queued(name));
    // getFileLink puts the bot token in the URL: it is never logged.
    const link = await ctx.telegram.getFileLink(fileId);
    const response = await fetch(link);
    if (!response.ok) throw new Error(`download failed: HTTP ${response.status}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(target, Buffer.from(await response.arrayBuffer()));
    this.waiting.set(target, { chatId: ctx.chat!.id, statusMessageId: status.message_id, name, lang: lang(ctx) });
    this.options.enqueue(target, { source: 'telegram', telegramUser: String(user), hint: caption });
  }

  /** The daemon calls this for every finished photo; the bot answers the ones it queued. */
  async outcome(outcome: PhotoOutcome): Promise<void> {
    const waiting = this.waiting.get(outcome.file);
    const telegram = this.bot?.telegram;
    if (!waiting || !telegram) return;
    this.waiting.delete(outcome.file);
    const text = TEXT[waiting.lang];
    try {
      if (outcome.status === 'failed') {
        await telegram.editMessageText(waiting.chatId, waiting.statusMessageId, undefined, text.failed(waiting.name, outcome.reason ?? 'failed'));
        return;
      }
      await telegram.editMessageText(waiting.chatId, waiting.statusMessageId, undefined, text.done(waiting.name));
      await telegram.sendDocument(waiting.chatId, { source: fs.createReadStream(outcome.file), filename: waiting.name });
      const keywords = outcome.keywords?.join(', ') ?? '';
      await telegram.sendMessage(waiting.chatId, [outcome.title, outcome.description, keywords].filter(Boolean).join('\n\n'));
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

function lang(ctx: Context): 'en' | 'ru' {
  return ctx.from?.language_code?.startsWith('ru') ? 'ru' : 'en';
}
