import type { FailureKind } from '../core/errors.js';

export type BotLang = 'en' | 'ru';

export interface Numbers {
  queue: { queued: number; running: number };
  mine: { done: number; failed: number };
  all: { done: number; failed: number; queued: number };
}

export interface UserSettings {
  languages: string[];
  maxFileMb: number;
  retentionDays: number;
}

const HELP_COMMANDS = {
  en: (days: number) =>
    `/status: the queue\n/stats: your numbers\n/retry: try your failed photos again\n/lang en, ru or en+ru: the languages your photos get\n/settings: your settings\nFiles you send are kept on the server for ${days > 0 ? `${days} days` : 'ever'}, then deleted.`,
  ru: (days: number) =>
    `/status — очередь\n/stats — ваша статистика\n/retry — повторить фото с ошибками\n/lang en, ru или en+ru — языки подписей\n/settings — ваши настройки\nПрисланные файлы хранятся на сервере ${days > 0 ? `${days} дн.` : 'бессрочно'}, потом удаляются.`,
};

/** Why a photo failed, in words a Russian user reads (the English reason is precise but English). */
const RU_KIND: Record<FailureKind, string> = {
  missing: 'файл пропал',
  unsupported: 'этот формат не поддерживается',
  corrupt: 'файл повреждён',
  unreadable: 'файл не читается',
  'read-only': 'файл только для чтения',
  'no-preview': 'в RAW-файле нет пригодного превью',
  'invalid-output': 'модель ответила непригодным текстом',
  'write-failed': 'не удалось записать метаданные',
  'verify-failed': 'проверка записи не прошла',
  transient: 'временная ошибка модели, попробуйте /retry позже',
  provider: 'ошибка провайдера модели',
  changed: 'фото изменилось с тех пор',
};

export const TEXT = {
  en: {
    refuse: (id: number) => `Sorry, this bot is private. Your Telegram user ID is ${id}: ask its owner to add it to telegram.allowedUsers.`,
    help: (days: number) =>
      `Send me photos as files (📎 → File) and I write a title, a description and keywords into them and send them back. A compressed photo works too, but Telegram strips its metadata. A caption is passed on as context.\n${HELP_COMMANDS.en(days)}`,
    notPhoto: (name: string) => `${name}: not a photo I can tag (JPEG, HEIC, PNG, WebP, TIFF, AVIF or RAW).`,
    tooLarge: (name: string, mb: number, max: number) =>
      `${name} is ${mb.toFixed(1)} MB; the Bot API lets bots download at most ${max} MB.`,
    tooLargeActual: (name: string, max: number) => `${name} is larger than ${max} MB; I stopped downloading it.`,
    compressed: 'Telegram compressed this photo and removed its metadata; send it as a file to keep it.',
    queued: (name: string) => `⏳ ${name}: queued`,
    analyzing: (name: string) => `🔎 ${name}: analyzing`,
    writing: (name: string) => `✍️ ${name}: writing`,
    tooFast: (n: number) => `You sent ${n} photos in the last minute; please wait a little.`,
    done: (name: string) => `✅ ${name}: done`,
    failed: (name: string, reason: string) => `❌ ${name}: ${reason}`,
    reason: (_kind: FailureKind | undefined, reason: string | undefined) => reason ?? 'failed',
    regenerate: '🔄 Regenerate',
    edit: '✏️ Edit',
    editPrompt: (name: string) =>
      `Reply to this message with the corrected text for ${name}: the title on the first line, the description on the second, the keywords (comma-separated) on the third.`,
    editBad: 'I need three lines: title, description, keywords.',
    gone: 'That photo is no longer here.',
    busy: (n: number) => `You already have ${n} photos waiting; send more when some are done.`,
    lang: (langs: string) => `Photos you send are tagged in: ${langs}.`,
    langUsage: 'Use /lang en, /lang ru or /lang en+ru.',
    retried: (n: number) => (n === 0 ? 'You have no failed photos.' : `Trying ${n} failed photo${n === 1 ? '' : 's'} again.`),
    status: (q: Numbers['queue']) => `Queue: ${q.queued} waiting, ${q.running} in progress.`,
    stats: (n: Numbers) =>
      `You (30 days): ${n.mine.done} done, ${n.mine.failed} failed.\nAll: ${n.all.done} done, ${n.all.failed} failed, ${n.all.queued} queued.`,
    settings: (s: UserSettings) =>
      `Your photos are tagged in: ${s.languages.join(' + ')} (change with /lang).\nLargest file: ${s.maxFileMb} MB.\nFiles are kept on the server for ${s.retentionDays > 0 ? `${s.retentionDays} days` : 'ever'}.`,
    unknown: 'I do not know that command. /help lists what I understand.',
    plainText: 'Send me a photo as a file (📎 → File) and I tag it. /help tells more.',
  },
  ru: {
    refuse: (id: number) =>
      `Извините, это частный бот. Ваш ID в Telegram: ${id} — попросите владельца добавить его в telegram.allowedUsers.`,
    help: (days: number) =>
      `Пришлите фото файлом (📎 → Файл): я впишу в него название, описание и ключевые слова и пришлю обратно. Сжатое фото тоже подойдёт, но Telegram удаляет его метаданные. Подпись передаётся модели как контекст.\n${HELP_COMMANDS.ru(days)}`,
    notPhoto: (name: string) => `${name}: это не фото, которое я умею подписывать (JPEG, HEIC, PNG, WebP, TIFF, AVIF или RAW).`,
    tooLarge: (name: string, mb: number, max: number) =>
      `${name}: ${mb.toFixed(1)} МБ; Bot API позволяет ботам скачивать не больше ${max} МБ.`,
    tooLargeActual: (name: string, max: number) => `${name} больше ${max} МБ; я прервал загрузку.`,
    compressed: 'Telegram сжал это фото и удалил его метаданные; пришлите его файлом, чтобы их сохранить.',
    queued: (name: string) => `⏳ ${name}: в очереди`,
    analyzing: (name: string) => `🔎 ${name}: анализ`,
    writing: (name: string) => `✍️ ${name}: запись`,
    tooFast: (n: number) => `Вы прислали ${n} фото за последнюю минуту; подождите немного.`,
    done: (name: string) => `✅ ${name}: готово`,
    failed: (name: string, reason: string) => `❌ ${name}: ${reason}`,
    reason: (kind: FailureKind | undefined, _reason: string | undefined) => (kind ? RU_KIND[kind] : 'ошибка'),
    regenerate: '🔄 Заново',
    edit: '✏️ Исправить',
    editPrompt: (name: string) =>
      `Ответьте на это сообщение исправленным текстом для ${name}: название в первой строке, описание во второй, ключевые слова через запятую в третьей.`,
    editBad: 'Нужно три строки: название, описание, ключевые слова.',
    gone: 'Этого фото здесь больше нет.',
    busy: (n: number) => `У вас уже ${n} фото в очереди; пришлите ещё, когда часть будет готова.`,
    lang: (langs: string) => `Ваши фото подписываются на: ${langs}.`,
    langUsage: 'Используйте /lang en, /lang ru или /lang en+ru.',
    retried: (n: number) => (n === 0 ? 'У вас нет фото с ошибками.' : `Пробую ещё раз: ${n}.`),
    status: (q: Numbers['queue']) => `Очередь: ${q.queued} ждут, ${q.running} в работе.`,
    stats: (n: Numbers) =>
      `Вы (30 дней): готово ${n.mine.done}, с ошибкой ${n.mine.failed}.\nВсего: готово ${n.all.done}, с ошибкой ${n.all.failed}, в очереди ${n.all.queued}.`,
    settings: (s: UserSettings) =>
      `Ваши фото подписываются на: ${s.languages.join(' + ')} (изменить: /lang).\nНаибольший файл: ${s.maxFileMb} МБ.\nФайлы хранятся на сервере ${s.retentionDays > 0 ? `${s.retentionDays} дн.` : 'бессрочно'}.`,
    unknown: 'Такой команды я не знаю. /help — список команд.',
    plainText: 'Пришлите фото файлом (📎 → Файл), и я его подпишу. Подробнее: /help.',
  },
};
