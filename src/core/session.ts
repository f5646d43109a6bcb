import path from 'node:path';
import { loadGeocoder } from './context.js';
import { MetadataTool } from './exiftool.js';
import { openStore } from './data-dir.js';
import type { Store } from './store.js';
import type { Config } from './config/schema.js';
import type { IntakeItem, Proposal } from './job.js';
import type { PipelineParts, TagOptions } from './pipeline.js';
import { MemoryQueue, StoreQueue } from './queue.js';
import { runQueue, type RunEvents, type RunSummary } from './runner.js';
import type { ModelCall, Source } from './types.js';
import { VisionClient } from './vision/client.js';
import { resolveCandidates, resolveProvider, type ResolvedProvider } from './vision/discovery.js';
import { PRESETS } from './vision/providers.js';
import { tuningKey } from './cache-key.js';

/**
 * ExifTool processes of a run, whatever the concurrency: its work (reads ahead of the model, writes behind it)
 * keeps one busy at 8 photos/s and more, and each holds 55–75 MB. Two, so that one slow file (a huge TIFF, a
 * damaged RAW, up to the 60 s task timeout) does not hold up every other photo.
 */
const EXIFTOOL_PROCESSES = 2;

export interface Session {
  store: Store;
  tool: MetadataTool;
  provider: ResolvedProvider;
  vision: VisionClient;
  parts: PipelineParts;
  options: TagOptions;
  /** This run's queue: durable in SQLite, or in memory for a dry run. */
  queue: StoreQueue | MemoryQueue;
  /** Work everything `intake` yields (and whatever is already on the queue) to the end. */
  run(
    intake: AsyncIterable<IntakeItem> | Iterable<IntakeItem>,
    settings?: { signal?: AbortSignal; abort?: AbortSignal; events?: RunEvents },
  ): Promise<RunSummary>;
  /** Read the provider's model list again and choose the `auto` models anew; returns the models now tried, in order. */
  refreshModels(): Promise<string[]>;
  close(): Promise<void>;
}

export { dataDirOf, openStore } from './data-dir.js';

/** Everything a tagging run needs, started in order: store, provider, model list, ExifTool. */
export interface SessionOptions {
  dryRun: boolean;
  source: Source;
  env?: NodeJS.ProcessEnv;
  onCall?: (call: ModelCall) => void;
  onPause?: (model: string, until: number, reason: string) => void;
  /** A failed model handed a photo to the next candidate; the model in use changed (the daemon counts both). */
  onFallback?: (from: string, reason: string) => void;
  onSwitch?: (from: string | undefined, to: string) => void;
  /** `--hint`: what the photographer says about these photos, passed to the model. */
  hint?: string;
  /** `phototag apply`: reviewed text to write instead of asking a model (each photo's job carries its own). */
  proposals?: ReadonlyMap<string, Proposal>;
  /** Every photo comes with a proposal: no provider, key or model list is needed. */
  withoutModel?: boolean;
  /** The daemon: an unreachable provider pauses the work (photos stay queued) instead of ending the run. */
  waitForProvider?: boolean;
  /** Something worth telling the user that does not stop the run (a stale model list used). */
  onWarning?: (message: string) => void;
}

export async function openSession(config: Config, run: SessionOptions): Promise<Session> {
  const env = run.env ?? process.env;
  // `apply` writes reviewed text only: it needs no provider, key or model list.
  const provider: ResolvedProvider = run.withoutModel
    ? { preset: PRESETS.openai, baseUrl: '', model: 'review', rpm: 0 }
    : await resolveProvider(config, env);
  // A missing optional geocoder stops the run before any photo, not at the first photo with GPS.
  if (config.geocode) await loadGeocoder();
  const store = openStore(config, env);
  let tool: MetadataTool | undefined;
  try {
    const listOptions = {
      timeoutMs: config.timeoutSeconds * 1000,
      maxAgeMs: config.catalogue.refreshHours * 3_600_000,
      onStale: run.onWarning ?? (() => undefined),
    };
    const { candidates, notice, fallback } = run.withoutModel
      ? { candidates: [], notice: undefined, fallback: undefined }
      : await resolveCandidates(provider, store, listOptions);
    // Which model `auto` chose where it could not tell free from paid: one line, so nobody pays unknowingly.
    if (notice) run.onWarning?.(notice);
    const vision = new VisionClient(
      {
        provider: provider.preset.name,
        baseUrl: provider.baseUrl,
        apiKey: provider.apiKey,
        candidates,
        fallback: provider.model === 'auto',
        timeoutMs: config.timeoutSeconds * 1000,
        rpm: provider.rpm,
        breaker: { threshold: 5, cooldownMs: config.pauseSeconds * 1000 },
        waitForProvider: run.waitForProvider ?? false,
        temperature: config.model.temperature,
        maxTokens: config.model.maxTokens,
        prompt: config.prompt,
        fallbackModel: fallback,
      },
      {
        onCall: (call) => {
          store.cache.recordModelCall(call);
          run.onCall?.(call);
        },
        onPause: run.onPause,
        onFallback: run.onFallback,
        onSwitch: run.onSwitch,
        onHandOver: (from, to, reason) => store.cache.recordModelSwitch(from, to, reason),
      },
    );
    tool = new MetadataTool(EXIFTOOL_PROCESSES);
    const options: TagOptions = {
      languages: config.languages,
      maxKeywords: config.maxKeywords,
      bannedKeywords: config.bannedKeywords,
      maxEdge: config.maxEdge,
      jpegQuality: config.jpegQuality,
      sidecar: config.sidecar,
      sidecarName: config.sidecarName,
      overwrite: config.overwrite,
      force: config.force,
      backup: config.backup,
      updateMtime: config.updateMtime,
      dryRun: run.dryRun,
      source: run.source,
      profile: config.profile,
      requiredKeywords: config.requiredKeywords,
      folderKeywords: config.folderKeywords,
      geocode: config.geocode,
      hint: run.hint,
    };
    const parts: PipelineParts = {
      store,
      tool,
      modelKey: provider.model,
      tuningKey: tuningKey(config),
      analyze: (jpeg, context, languages, signal) => vision.analyze({ jpeg, languages, maxKeywords: config.maxKeywords, context, signal }),
    };
    const openedTool = tool;
    const queue = run.dryRun
      ? new MemoryQueue(run.source)
      : new StoreQueue(store, { source: run.source, force: config.force, retryFailed: run.source === 'cli' });
    return {
      store,
      tool,
      provider,
      vision,
      parts,
      options,
      queue,
      async refreshModels() {
        if (run.withoutModel) return [];
        const fresh = await resolveCandidates(provider, store, { ...listOptions, refresh: true });
        vision.useCandidates(fresh.candidates);
        return vision.settings.candidates.map((m) => m.id);
      },
      run: (intake, settings = {}) =>
        runQueue(run.proposals ? withProposals(intake, run.proposals) : intake, queue, options, parts, {
          concurrency: config.concurrency,
          maxAttempts: config.maxAttempts,
          ...settings,
        }),
      async close() {
        await openedTool.close();
        store.close();
      },
    };
  } catch (error) {
    await tool?.close();
    store.close();
    throw error;
  }
}

/** Each photo of the intake asks for its reviewed text, which its job then carries. */
async function* withProposals(
  intake: AsyncIterable<IntakeItem> | Iterable<IntakeItem>,
  proposals: ReadonlyMap<string, Proposal>,
): AsyncIterable<IntakeItem> {
  for await (const item of intake) {
    const file = typeof item === 'string' ? item : item.path;
    const proposal = proposals.get(file) ?? proposals.get(path.resolve(file));
    // Written whenever asked, even over a photo recorded as done and unchanged since (a corrected CSV applied again).
    yield proposal ? { path: file, request: { ...(typeof item === 'string' ? {} : item.request), proposal, again: true } } : item;
  }
}
