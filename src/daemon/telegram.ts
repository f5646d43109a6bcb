import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Telegraf, Context } from 'telegraf';
import { errorMessage, type FailureKind } from '../core/errors.js';
import { hashFile } from '../core/hash.js';
import { hasPhotoExtension } from '../core/formats.js';
import type { Job, JobRequest, TelegramAsk } from '../core/job.js';
import type { Store } from '../core/store.js';
import type { PhotoStatus } from '../core/types.js';
import type { Logger } from './log.js';
import { TEXT, type BotLang, type Numbers } from './telegram-text.js';
import type { Stage } from '../core/pipeline.js';

export interface TelegramOptions {
  token: string;
  apiRoot: string;
  allowedUsers: number[];
  allowGroups: boolean;
  maxFileMb: number;
  /** Downloads go to `<inbox>/<user id>/`; nothing is written anywhere else. */
  inbox: string;
  /** Downloads older than this many days are deleted (0: kept forever). */
  retentionDays: number;
  /** The languages photos get when a user has not chosen with /lang. */
  languages: string[];
  /** Photos one user may have waiting at once. */
  maxQueuedPerUser: number;
  /** Photos one user may send per minute. */
  perUserPerMinute: number;
  webhook?: { url: string; host: string; port: number; path: string };
  /** Jobs (their Telegram answers), the users' /lang and Edit prompts live here, so they outlive a restart. */
  store: Store;
  /** Put a downloaded photo on the daemon's queue (returns at once; the answer comes with its outcome). */
  enqueue: (file: string, request: JobRequest) => void;
  /** Queue these (failed) photos again, as they were first asked; returns how many. */
  retry: (files: string[]) => number;
  numbers: (user: string) => Numbers;
  log: Logger;
  /** Traffic for /metrics: an update received, a message sent (send*, edit*, answer*), a Bot API call that failed. */
  onTraffic?: (event: 'in' | 'out' | 'error', method: string) => void;
}

/** What the bot needs to answer a finished photo. */
export interface Finished {
  status: PhotoStatus;
  title?: string;
  description?: string;
  keywords?: string[];
  reason?: string;
  errorKind?: FailureKind;
}

const OUTBOX_EVERY_MS = 60_000;
const STRANGER_QUIET_MS = 3_600_000;
const CLEAN_EVERY_MS = 6 * 3_600_000;

/**
 * The Telegram adapter (telegraf): allow-listed users send photos, which are downloaded into the inbox and
 * queued like any other, with who asked and where to answer carried by the job. Handlers never wait for
 * tagging. An answer not yet sent (the bot was stopped or Telegram was down) stays owed in the database and
 * goes out when the bot runs again.
 */
export class TelegramBot {
  private bot?: Telegraf;
  private ready = false;
  /** Jobs whose answer is being sent now (by the outcome or by the outbox): never twice. */
  private readonly answering = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Photos each user has waiting, counted before the download starts (a burst arrives all at once). */
  private readonly perUser = new Map<number, number>();
  /** Edits of one photo's status message, in order (stage events are not awaited by the daemon). */
  private readonly edits = new Map<number, Promise<void>>();
  /** When each user's recent photos arrived, for the per-minute limit. */
  private readonly sent = new Map<number, number[]>();
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private wakeConnect?: () => void;
  private firstTry?: () => void;
  private health = { ok: false, detail: 'connecting to the Bot API' };
  /** Strangers refused lately, and when: one refusal, then silence for a while. */
  private readonly refused = new Map<number, number>();

  constructor(private readonly options: TelegramOptions) {}

  /**
   * Connects in the background and keeps trying with backoff while the Bot API cannot be reached (the daemon
   * starts without waiting for Telegram); `readiness()` says how it stands.
   */
  async start(): Promise<void> {
    const { Telegraf } = await import('telegraf');
    this.stopped = false;
    const firstTry = new Promise<void>((resolve) => (this.firstTry = resolve));
    this.track(this.connect(() => this.build(new Telegraf(this.options.token, { telegram: { apiRoot: this.options.apiRoot } }))));
    // Usually connected before the daemon says it is ready; never held up for long by a Bot API that is away.
    await Promise.race([firstTry, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    this.timers = [
      setInterval(() => this.track(this.sendOwed()), OUTBOX_EVERY_MS),
      setInterval(() => this.track(this.clean()), CLEAN_EVERY_MS),
    ];
    for (const timer of this.timers) timer.unref();
    this.track(this.clean());
  }

  /** For /readyz: whether the bot is connected to the Bot API. */
  readiness(): { ok: boolean; detail: string } {
    return this.health;
  }

  private async connect(create: () => Telegraf): Promise<void> {
    const webhook = this.options.webhook;
    for (let attempt = 0; !this.stopped; attempt++) {
      const bot = create();
      try {
        if (webhook) {
          // Telegram signs every webhook request with this secret; a request without it is refused.
          const secretToken = randomBytes(24).toString('hex');
          await bot.launch({ webhook: { domain: webhook.url, path: webhook.path, host: webhook.host, port: webhook.port, secretToken } });
          this.connected(bot, 'webhook');
          this.firstTry?.();
          return;
        }
        await bot.telegram.getMe();
        if (this.stopped) return;
        this.connected(bot, 'long polling');
        this.firstTry?.();
        await bot.launch(); // resolves only when polling stops
        if (this.stopped) return;
        throw new Error('polling stopped');
      } catch (error) {
        if (this.stopped) return;
        this.ready = false;
        this.bot = undefined;
        try {
          bot.stop('reconnect');
        } catch {
          // it never ran
        }
        const wait = Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
        const reason = this.redact(errorMessage(error));
        this.health = { ok: false, detail: `cannot reach the Bot API (${reason}); trying again in ${Math.round(wait / 1000)} s` };
        this.options.log.warn('telegram: cannot reach the Bot API; trying again', { error: reason, inSeconds: Math.round(wait / 1000) });
        this.firstTry?.();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wakeConnect = () => (clearTimeout(timer), resolve());
        });
      }
    }
  }

  private connected(bot: Telegraf, mode: string): void {
    this.bot = bot;
    this.ready = true;
    this.health = { ok: true, detail: mode };
    this.options.log.info('telegram bot started', { allowedUsers: this.options.allowedUsers.length, mode });
    // Answers owed from before (a restart, Telegram down): now, then now and then.
    this.track(this.sendOwed());
  }

  /**
   * Every Bot API call goes through a Telegram instance's `callApi` (replies, edits, documents, polling): counted
   * there, once. telegraf gives each update's context its own instance, so those are wrapped as they come.
   */
  private countTraffic(bot: Telegraf): void {
    const count = this.options.onTraffic;
    if (!count) return;
    type Api = { callApi: (...args: unknown[]) => Promise<unknown> };
    const wrap = (telegram: unknown) => {
      const api = telegram as Api;
      const callApi = api.callApi.bind(api);
      api.callApi = async (...args: unknown[]) => {
        const method = String(args[0]);
        try {
          const answer = await callApi(...args);
          if (/^(send|edit|answer|copy|forward)/u.test(method)) count('out', method);
          return answer;
        } catch (error) {
          if (!this.stopped) count('error', method);
          throw error;
        }
      };
    };
    wrap(bot.telegram);
    bot.use((ctx, next) => {
      count('in', ctx.updateType);
      wrap(ctx.telegram);
      return next();
    });
  }

  /** The bot token is in every Bot API URL, so in some error messages: never shown. */
  private redact(text: string): string {
    return text.split(this.options.token).join('***');
  }

  private build(bot: Telegraf): Telegraf {
    this.countTraffic(bot);
    bot.use(async (ctx, next) => {
      if (!ctx.from || (ctx.chat?.type !== 'private' && !this.options.allowGroups)) return;
      if (!this.options.allowedUsers.includes(ctx.from.id)) {
        // One refusal, then silence for a while: a stranger's flood costs no flood of replies.
        const last = this.refused.get(ctx.from.id);
        if (last !== undefined && Date.now() - last < STRANGER_QUIET_MS) return;
        if (this.refused.size > 10_000) this.refused.clear();
        this.refused.set(ctx.from.id, Date.now());
        this.options.log.info('telegram: refused a user not on the list', { user: ctx.from.id });
        await ctx.reply(TEXT[this.lang(ctx)].refuse(ctx.from.id));
        return;
      }
      await next();
    });
    const days = this.options.retentionDays;
    bot.start((ctx) => ctx.reply(TEXT[this.lang(ctx)].help(days)));
    bot.help((ctx) => ctx.reply(TEXT[this.lang(ctx)].help(days)));
    bot.command('status', (ctx) => ctx.reply(TEXT[this.lang(ctx)].status(this.options.numbers(String(ctx.from.id)).queue)));
    bot.command('stats', (ctx) => ctx.reply(TEXT[this.lang(ctx)].stats(this.options.numbers(String(ctx.from.id)))));
    bot.command('settings', (ctx) =>
      ctx.reply(
        TEXT[this.lang(ctx)].settings({
          languages: this.languagesOf(ctx.from.id) ?? this.options.languages,
          maxFileMb: this.options.maxFileMb,
          retentionDays: days,
        }),
      ),
    );
    bot.command('lang', (ctx) => {
      const wanted = ctx.message.text
        .split(/\s+/u)[1]
        ?.split(/[+,]/u)
        .filter((l) => l === 'en' || l === 'ru');
      if (!wanted?.length) return ctx.reply(TEXT[this.lang(ctx)].langUsage);
      this.options.store.telegram.setLanguages(String(ctx.from.id), [...new Set(wanted)]);
      return ctx.reply(TEXT[this.lang(ctx)].lang(wanted.join(' + ')));
    });
    bot.command('retry', (ctx) => this.retry(ctx));
    bot.action(/^(regen|edit):#(\d+)$/u, async (ctx) => {
      const [, action, id] = ctx.match;
      await ctx.answerCbQuery();
      const job = this.options.store.jobs.job(Number(id));
      // Only the user who sent the photo may press its buttons.
      if (!job || job.telegram?.user !== String(ctx.from.id) || !fs.existsSync(job.path)) return ctx.reply(TEXT[this.lang(ctx)].gone);
      if (action === 'regen')
        return this.queue(ctx, job.path, {
          regenerate: true,
          again: true,
          hint: job.hint,
          languages: this.languagesOf(ctx.from.id) ?? job.languages,
        });
      const prompt = await ctx.reply(TEXT[this.lang(ctx)].editPrompt(displayName(job.path)), { reply_markup: { force_reply: true } });
      this.options.store.telegram.savePrompt(ctx.chat!.id, prompt.message_id, job.id);
    });
    // Buttons from before job ids were stored carry a photo hash only.
    bot.action(/^(regen|edit):/u, async (ctx) => {
      await ctx.answerCbQuery();
      return ctx.reply(TEXT[this.lang(ctx)].gone);
    });
    bot.on('text', async (ctx) => {
      const replyTo = ctx.message.reply_to_message?.message_id;
      const id = replyTo === undefined ? undefined : this.options.store.telegram.prompt(ctx.chat.id, replyTo);
      const text = TEXT[this.lang(ctx)];
      if (id === undefined) return ctx.reply(ctx.message.text.startsWith('/') ? text.unknown : text.plainText);
      const job = this.options.store.jobs.job(id);
      if (!job || job.telegram?.user !== String(ctx.from.id) || !fs.existsSync(job.path)) return ctx.reply(text.gone);
      const [title, description, keywords] = ctx.message.text.split('\n').map((l) => l.trim());
      if (!title || !description || !keywords) return ctx.reply(text.editBad);
      this.options.store.telegram.deletePrompt(ctx.chat.id, replyTo!);
      const primary = this.languagesOf(ctx.from.id)?.[0] ?? 'en';
      const result = {
        [primary]: {
          title,
          description,
          keywords: keywords
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean),
        },
      };
      return this.queue(ctx, job.path, { again: true, languages: [primary], proposal: { hash: await hashFile(job.path), result } });
    });
    bot.on('document', (ctx) => {
      const doc = ctx.message.document;
      const name = safeName(doc.file_name ?? 'photo.jpg');
      return this.receive(
        ctx,
        doc.file_id,
        doc.file_size,
        name,
        Boolean(doc.mime_type?.startsWith('image/')) || hasPhotoExtension(name),
        ctx.message.caption,
      );
    });
    bot.on('photo', async (ctx) => {
      const photo = ctx.message.photo.at(-1)!;
      await ctx.reply(TEXT[this.lang(ctx)].compressed);
      return this.receive(ctx, photo.file_id, photo.file_size, `photo-${photo.file_unique_id}.jpg`, true, ctx.message.caption);
    });
    bot.catch((error) => this.options.log.error('telegram handler failed', { error: this.redact(errorMessage(error)) }));
    return bot;
  }

  /** Stop taking updates; answers being sent finish (bounded), the rest stay owed for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ready = false;
    this.wakeConnect?.();
    for (const timer of this.timers) clearInterval(timer);
    try {
      this.bot?.stop('shutdown');
    } catch {
      // not running (a start that failed half-way)
    }
    const bound = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([Promise.all(this.inFlight), bound]);
  }

  /** Progress in the photo's one status message: analyzing, writing (done or failed come with the answer). */
  stage(job: Job, stage: Stage): void {
    const ask = job.telegram;
    const telegram = this.bot?.telegram;
    if (!ask || !telegram || !this.ready || stage === 'reading' || stage === 'waiting') return;
    const text = TEXT[ask.lang][stage](displayName(job.path));
    this.track(this.inOrder(job.id, () => withRetryAfter(() => telegram.editMessageText(ask.chat, ask.statusMessage, undefined, text))));
  }

  /**
   * Answer whoever asked for this photo: status message, the file, its text with Regenerate and Edit. Once
   * sent, the job's answer is no longer owed. Never throws: an answer that could not go out stays owed.
   */
  async answer(job: Job, finished: Finished): Promise<void> {
    const ask = job.telegram;
    const telegram = this.bot?.telegram;
    if (!ask || !telegram || !this.ready || this.answering.has(job.id)) return;
    this.answering.add(job.id);
    const sending = (async () => {
      await this.edits.get(job.id); // the stage edits first
      this.edits.delete(job.id);
      const text = TEXT[ask.lang];
      const name = displayName(job.path);
      try {
        if (finished.status === 'failed') {
          await withRetryAfter(() =>
            telegram.editMessageText(
              ask.chat,
              ask.statusMessage,
              undefined,
              text.failed(name, text.reason(finished.errorKind, finished.reason && withoutPaths(finished.reason, job.path, name))),
            ),
          );
        } else {
          await withRetryAfter(() => telegram.editMessageText(ask.chat, ask.statusMessage, undefined, text.done(name)));
          await withRetryAfter(() => telegram.sendDocument(ask.chat, { source: fs.createReadStream(job.path), filename: name }));
          const keywords = finished.keywords?.join(', ') ?? '';
          await withRetryAfter(() =>
            telegram.sendMessage(
              ask.chat,
              [finished.title, finished.description, keywords].filter(Boolean).join('\n\n') || text.done(name),
              {
                reply_markup: {
                  inline_keyboard: [
                    [
                      { text: text.regenerate, callback_data: `regen:#${job.id}` },
                      { text: text.edit, callback_data: `edit:#${job.id}` },
                    ],
                  ],
                },
              },
            ),
          );
        }
        this.options.store.jobs.answered(job.id);
        this.release(Number(ask.user));
      } catch (error) {
        this.options.log.error('telegram reply failed; it is sent again later', { user: ask.user, error: errorMessage(error) });
      } finally {
        this.answering.delete(job.id);
      }
    })();
    this.track(sending);
    await sending;
  }

  /** Answers owed for photos that finished while the bot was not running (or could not reach Telegram). */
  private async sendOwed(): Promise<void> {
    if (!this.ready) return;
    for (const job of this.options.store.jobs.unanswered()) {
      if (!this.ready) return;
      if (!fs.existsSync(job.path) && job.status !== 'failed') {
        this.options.store.jobs.answered(job.id); // deleted since (retention): nothing to send back
        continue;
      }
      await this.answer(job, {
        status: job.status,
        title: job.title,
        description: job.description,
        keywords: job.keywords,
        reason: job.error,
        errorKind: job.errorKind,
      });
    }
  }

  /** Downloads older than `retentionDays` go, unless their photo is still waiting or its answer is owed. */
  private async clean(): Promise<void> {
    const days = this.options.retentionDays;
    if (days <= 0) return;
    const before = Date.now() - days * 86_400_000;
    this.options.store.telegram.prunePrompts(before);
    const users = await fs.promises.readdir(this.options.inbox).catch(() => [] as string[]);
    let removed = 0;
    for (const user of users) {
      const folder = path.join(this.options.inbox, user);
      const names = await fs.promises.readdir(folder).catch(() => [] as string[]);
      for (const name of names) {
        const file = path.join(folder, name);
        const stat = await fs.promises.lstat(file).catch(() => undefined);
        if (!stat?.isFile() || stat.mtimeMs >= before) continue;
        const id = this.options.store.jobs.idOf(file);
        const job = id === undefined ? undefined : this.options.store.jobs.job(id);
        if (job && (job.status === 'queued' || job.status === 'running' || this.answering.has(job.id))) continue;
        await fs.promises.rm(file, { force: true });
        removed++;
      }
    }
    if (removed) this.options.log.info('telegram: old downloads removed', { files: removed, olderThanDays: days });
  }

  private async retry(ctx: Context & { from: { id: number }; chat: { id: number } }): Promise<void> {
    const user = String(ctx.from.id);
    const files = this.options.store.reports.failures({ telegramUser: user }).map((row) => row.path);
    const lang = this.lang(ctx);
    await ctx.reply(TEXT[lang].retried(files.length));
    // Status messages first, so an answer that comes quickly finds its message; the job keeps its /lang and caption.
    for (const file of files) {
      const status = await ctx.reply(TEXT[lang].queued(displayName(file)));
      this.options.store.jobs.answerTo(file, { user, chat: ctx.chat.id, statusMessage: status.message_id, lang });
      this.perUser.set(ctx.from.id, (this.perUser.get(ctx.from.id) ?? 0) + 1);
    }
    if (files.length) this.options.retry(files);
  }

  private track(promise: Promise<void>): void {
    const tracked = promise.catch((error: unknown) => this.options.log.error('telegram task failed', { error: errorMessage(error) }));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async receive(
    ctx: Context,
    fileId: string,
    size: number | undefined,
    name: string,
    isPhoto: boolean,
    caption: string | undefined,
  ): Promise<void> {
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
    const folder = path.resolve(this.options.inbox, String(user));
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
    let complete: boolean;
    try {
      complete = await download(ctx, fileId, target, this.options.maxFileMb * 1024 * 1024);
    } catch (error) {
      this.release(user);
      throw new Error(this.redact(errorMessage(error)));
    }
    if (!complete) {
      // The declared size was not the real one: stopped at the limit, nothing kept.
      this.release(user);
      await ctx.reply(text.tooLargeActual(name, this.options.maxFileMb));
      return;
    }
    await this.queue(ctx, target, { hint: caption, languages: this.languagesOf(user) }, false);
  }

  private languagesOf(user: number): string[] | undefined {
    return this.options.store.telegram.languages(String(user));
  }

  private lang(ctx: Context): BotLang {
    return lang(ctx, ctx.from ? this.languagesOf(ctx.from.id) : undefined);
  }

  private inOrder(id: number, edit: () => Promise<unknown>): Promise<void> {
    const next = (this.edits.get(id) ?? Promise.resolve()).then(edit).then(
      () => undefined,
      () => undefined,
    );
    this.edits.set(id, next);
    return next;
  }

  private release(user: number): void {
    this.perUser.set(user, Math.max(0, (this.perUser.get(user) ?? 1) - 1));
  }

  /** One status message per photo, then onto the daemon's queue with who asked and where to answer. */
  private async queue(ctx: Context, file: string, request: JobRequest, count = true): Promise<void> {
    const user = ctx.from!.id;
    if (count) this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
    const lang = this.lang(ctx);
    const status = await ctx.reply(TEXT[lang].queued(displayName(file)));
    const telegram: TelegramAsk = {
      user: String(user),
      name: userName(ctx.from!),
      chat: ctx.chat!.id,
      statusMessage: status.message_id,
      lang,
    };
    this.options.enqueue(file, { ...request, source: 'telegram', telegram });
  }
}

/**
 * Stream a Telegram file to `target` (via a `.part` file), stopping once more than `max` bytes arrived: a
 * declared size can lie. Returns false (and keeps nothing) when the file is larger than that.
 */
async function download(ctx: Context, fileId: string, target: string, max: number): Promise<boolean> {
  // getFileLink puts the bot token in the URL: it is never logged.
  const link = await ctx.telegram.getFileLink(fileId);
  const response = await fetch(link);
  if (!response.ok || !response.body) throw new Error(`download failed: HTTP ${response.status}`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.part`;
  const out = fs.createWriteStream(partial, { flags: 'wx' });
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  let bytes = 0;
  let tooLarge = false;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (bytes > max) {
        tooLarge = true;
        break;
      }
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  } finally {
    out.end();
    await closed;
  }
  if (tooLarge) {
    fs.rmSync(partial, { force: true });
    return false;
  }
  fs.renameSync(partial, target);
  return true;
}

/** A reason as a user may read it: the photo is named as they sent it, and no other server path shows. */
export function withoutPaths(reason: string, file: string, name: string): string {
  return reason
    .split(file)
    .join(name)
    .replace(/(?:[A-Za-z]:)?(?:[/\\][^/\\\s:'"]+){2,}/gu, (found) => path.basename(found));
}

/** The name the user sent, without the arrival time the inbox file name starts with. */
function displayName(file: string): string {
  return path.basename(file).replace(/^\d+-/u, '');
}

/** How stats name a Telegram user: "Ann Lee (@ann)", as Telegram gives it at the time. */
export function userName(from: { first_name: string; last_name?: string; username?: string }): string {
  const full = squashName([from.first_name, from.last_name].filter(Boolean).join(' '));
  const handle = from.username ? `@${from.username}` : '';
  return (full && handle ? `${full} (${handle})` : full || handle).slice(0, 200);
}

function squashName(name: string): string {
  return name
    .replace(/[\u0000-\u001f\u007f]/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** A hostile name loses its folders, control characters and leading dots. */
export function safeName(name: string): string {
  const base = path
    .basename(name.replace(/\\/gu, '/'))
    .replace(/[\u0000-\u001f<>:"|?*\u007f]/gu, '_')
    .replace(/^\.+/u, '')
    .trim();
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
function lang(ctx: Context, preferred?: string[]): BotLang {
  if (preferred?.[0] === 'ru' || preferred?.[0] === 'en') return preferred[0];
  return ctx.from?.language_code?.startsWith('ru') ? 'ru' : 'en';
}
