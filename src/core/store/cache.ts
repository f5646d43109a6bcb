import type Database from 'better-sqlite3';
import type { Analysis, ModelCall } from '../types.js';

export interface AnalysisKey {
  hash: string;
  model: string;
  promptVersion: number;
  languages: readonly string[];
}

/** Model answers by content, the providers' model catalogues, and every model call with its outcome. */
export class CacheStore {
  private readonly sql: ReturnType<typeof statements>;

  constructor(private readonly db: Database.Database) {
    this.sql = statements(db);
  }

  cachedAnalysis(key: AnalysisKey): Analysis | undefined {
    const row = this.sql.analysis.get(key.hash, key.model, key.promptVersion, key.languages.join(',')) as
      { result: string; provider: string; model: string } | undefined;
    if (!row) return undefined;
    return { result: JSON.parse(row.result), provider: row.provider, model: row.model, tokensIn: 0, tokensOut: 0, cost: 0, cacheHit: true };
  }

  /** Cache under the model that was asked for (e.g. "auto") and the one that answered, so either finds it. */
  saveAnalysis(key: AnalysisKey, analysis: Analysis): void {
    this.db
      .transaction((models: string[]) => {
        for (const model of models) {
          this.sql.saveAnalysis.run(
            key.hash,
            model,
            key.promptVersion,
            key.languages.join(','),
            JSON.stringify(analysis.result),
            analysis.provider,
            analysis.tokensIn,
            analysis.tokensOut,
            analysis.cost,
            Date.now(),
          );
        }
      })
      .immediate([...new Set([key.model, analysis.model])]);
  }

  /** An answer that could not be written (or met the profile) is no answer to keep: the next try asks again. */
  forgetAnalysis(key: AnalysisKey, analysis: Pick<Analysis, 'model'>): void {
    for (const model of new Set([key.model, analysis.model]))
      this.sql.forgetAnalysis.run(key.hash, model, key.promptVersion, key.languages.join(','));
  }

  catalogue(baseUrl: string, maxAgeMs: number): unknown[] | undefined {
    const row = this.sql.catalogue.get(baseUrl) as { fetched_at: number; models: string } | undefined;
    if (!row || Date.now() - row.fetched_at > maxAgeMs) return undefined;
    return JSON.parse(row.models) as unknown[];
  }

  saveCatalogue(baseUrl: string, models: unknown[]): void {
    this.sql.saveCatalogue.run(baseUrl, Date.now(), JSON.stringify(models));
  }

  /** A model failed and the next one was asked for the same photo: recorded when it happens (stats, metrics). */
  recordModelSwitch(from: string, to: string, reason: string): void {
    this.sql.modelSwitch.run(Date.now(), from, to, reason.slice(0, 500));
  }

  recordModelCall(call: ModelCall): void {
    this.sql.modelCall.run(
      Date.now(),
      call.provider,
      call.model,
      call.ok ? 1 : 0,
      call.ms,
      call.tokensIn,
      call.tokensOut,
      call.cost,
      call.error ?? null,
    );
    this.recordModelOutcome(call.model, call.ok);
  }

  recordModelOutcome(model: string, ok: boolean): void {
    this.sql.modelOutcome.run({ model, ok: ok ? 1 : 0, now: Date.now() });
  }

  /** Models that answered usefully before, best first. */
  provenModels(): string[] {
    return (this.sql.provenModels.all() as { model: string }[]).map((row) => row.model);
  }
}

function statements(db: Database.Database) {
  return {
    analysis: db.prepare(
      `SELECT result, provider, model FROM analyses WHERE hash = ? AND model = ? AND prompt_version = ? AND languages = ?`,
    ),
    saveAnalysis: db.prepare(
      `INSERT OR REPLACE INTO analyses (hash, model, prompt_version, languages, result, provider, tokens_in, tokens_out, cost, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    forgetAnalysis: db.prepare(`DELETE FROM analyses WHERE hash = ? AND model = ? AND prompt_version = ? AND languages = ?`),
    catalogue: db.prepare(`SELECT fetched_at, models FROM catalogues WHERE base_url = ?`),
    saveCatalogue: db.prepare(`INSERT OR REPLACE INTO catalogues (base_url, fetched_at, models) VALUES (?, ?, ?)`),
    modelSwitch: db.prepare(`INSERT INTO job_events (at, kind, model, to_model, reason) VALUES (?, 'model-switch', ?, ?, ?)`),
    modelCall: db.prepare(
      `INSERT INTO model_calls (at, provider, model, ok, ms, tokens_in, tokens_out, cost, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    modelOutcome: db.prepare(
      `INSERT INTO model_outcomes (model, successes, failures, last_success_at) VALUES (@model, @ok, 1 - @ok, CASE WHEN @ok = 1 THEN @now END)
       ON CONFLICT (model) DO UPDATE SET successes = successes + @ok, failures = failures + 1 - @ok,
         last_success_at = CASE WHEN @ok = 1 THEN @now ELSE last_success_at END`,
    ),
    provenModels: db.prepare(
      `SELECT model FROM model_outcomes WHERE successes > 0 ORDER BY successes * 1.0 / (successes + failures) DESC, last_success_at DESC`,
    ),
  };
}
