import type Database from 'better-sqlite3';

/** The Telegram bot's own state, kept across restarts: each user's /lang, and Edit prompts awaiting a reply. */
export class TelegramStore {
  private readonly sql: ReturnType<typeof statements>;

  constructor(db: Database.Database) {
    this.sql = statements(db);
  }

  languages(user: string): string[] | undefined {
    const row = this.sql.languages.get(user) as { languages: string | null } | undefined;
    return row?.languages ? row.languages.split(',') : undefined;
  }

  setLanguages(user: string, languages: readonly string[]): void {
    this.sql.setLanguages.run(user, languages.join(','), Date.now());
  }

  /** An Edit prompt (a message asking for the corrected text) for the photo whose job id is `photo`. */
  savePrompt(chat: number, message: number, photo: number): void {
    this.sql.savePrompt.run(chat, message, photo, Date.now());
  }

  prompt(chat: number, message: number): number | undefined {
    return (this.sql.prompt.get(chat, message) as { photo_id: number } | undefined)?.photo_id;
  }

  deletePrompt(chat: number, message: number): void {
    this.sql.deletePrompt.run(chat, message);
  }

  /** Prompts older than `before` (epoch ms) are forgotten. */
  prunePrompts(before: number): void {
    this.sql.prunePrompts.run(before);
  }
}

function statements(db: Database.Database) {
  return {
    languages: db.prepare(`SELECT languages FROM telegram_users WHERE user = ?`),
    setLanguages: db.prepare(
      `INSERT INTO telegram_users (user, languages, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (user) DO UPDATE SET languages = excluded.languages, updated_at = excluded.updated_at`,
    ),
    savePrompt: db.prepare(`INSERT OR REPLACE INTO telegram_prompts (chat_id, message_id, photo_id, created_at) VALUES (?, ?, ?, ?)`),
    prompt: db.prepare(`SELECT photo_id FROM telegram_prompts WHERE chat_id = ? AND message_id = ?`),
    deletePrompt: db.prepare(`DELETE FROM telegram_prompts WHERE chat_id = ? AND message_id = ?`),
    prunePrompts: db.prepare(`DELETE FROM telegram_prompts WHERE created_at < ?`),
  };
}
