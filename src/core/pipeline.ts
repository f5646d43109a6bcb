import fs from 'node:fs/promises';
import path from 'node:path';
import type { Stats } from 'node:fs';
import { errorMessage, FatalError, NotStartedError, PhotoError, type CallUsage } from './errors.js';
import type { MetadataTool } from './exiftool.js';
import { isFullyTagged, planWrite } from './fieldmap.js';
import { formatOf, hasSharpExtension, SHARP_FORMAT } from './formats.js';
import { hashPhoto } from './hash.js';
import { imageDataHash } from './imagehash.js';
import { contextLines } from './context.js';
import { applyProfile, profileFields, type ProfileName } from './profiles.js';
import { prepareImage } from './prepare.js';
import { probeInFileWrite, SIDECAR_HINT, type ProbeResult } from './probe.js';
import type { SidecarName } from './sidecar.js';
import type { Store } from './store.js';
import type { JobRequest } from './job.js';
import type { Analysis, PhotoOutcome, PhotoRecord, Source } from './types.js';
import { analysisKey, keyString } from './cache-key.js';
import { askOnce } from './inflight.js';
import { boundResult } from './text.js';
import { firstState, writeChecked } from './write-step.js';
import { precheckWrite } from './precheck.js';

/** reading: read, decoded, checked; waiting: ready, for a free model slot; analyzing: at the model; writing. */
export type Stage = 'reading' | 'waiting' | 'analyzing' | 'writing';
/** The parts of a photo's way that are timed (`onTiming`): the metadata read, the decode and downscale, the model, the verified write. */
export type TimedStage = 'read' | 'decode' | 'model' | 'write';

export interface TagOptions {
  languages: string[];
  maxKeywords: number;
  bannedKeywords: string[];
  maxEdge: number;
  jpegQuality: number;
  sidecar: boolean;
  sidecarName: SidecarName;
  overwrite: boolean;
  force: boolean;
  backup: boolean;
  /** Give a written photo a new modification time instead of keeping it. */
  updateMtime?: boolean;
  dryRun: boolean;
  source: Source;
  profile: ProfileName;
  requiredKeywords: string[];
  /** Folder → keywords for every photo under it. */
  folderKeywords: Record<string, string[]>;
  geocode: boolean;
  hint?: string;
}

export interface PipelineParts {
  store: Store;
  tool: MetadataTool;
  /** The model key results are cached under (the requested model, e.g. "auto"). */
  modelKey: string;
  /** The operator's prompt and sampling settings, when not the defaults (part of the cache key). */
  tuningKey?: string;
  analyze: (jpeg: Buffer, context: readonly string[], languages: readonly string[], signal?: AbortSignal) => Promise<Analysis>;
  /**
   * Waits for one of the run's model slots and gives its release (the runner's; none: no limit). Taken only
   * once the photo is read and decoded, and given back as soon as the answer is in, so the slots never wait
   * for local work. Rejects with NotStartedError when the run stops first.
   */
  modelSlot?: () => Promise<() => void>;
  onStage?: (file: string, stage: Stage) => void;
  /** How long a stage took (successful or not), for the daemon's per-stage histograms. */
  onTiming?: (file: string, stage: TimedStage, ms: number) => void;
}

export type { Job, JobRequest, Proposal } from './job.js';

export interface TagResult {
  outcome: PhotoOutcome;
  /** What the store keeps about the photo (undefined: nothing to keep, e.g. a dry run or a vanished file). */
  record?: PhotoRecord;
  /** A transient failure: when it may be tried again. */
  retryAfterMs?: number;
  countsAsAttempt?: boolean;
}

/**
 * One photo from path to verified metadata. Per-photo problems come back as a failed outcome; only run-ending
 * errors throw, and NotStartedError for a photo the stopping run never sent. The caller (the queue) decides
 * whether to record the outcome or try again later.
 */
export async function tagPhoto(
  job: JobRequest & { path: string },
  options: TagOptions,
  parts: PipelineParts,
  signal?: AbortSignal,
): Promise<TagResult> {
  const file = job.path;
  const started = Date.now();
  let stat: Stats | undefined;
  let hash: string | undefined;
  try {
    stat = await statPhoto(file);
    parts.onStage?.(file, 'reading');
    const tagged = await tagFile(job, stat, options, parts, signal, (h) => (hash = h));
    const outcome = { ...tagged, durationMs: Date.now() - started };
    const after = outcome.status === 'done' && !outcome.dryRun ? await fs.stat(file) : stat;
    return { outcome, record: options.dryRun ? undefined : recordOf(outcome, options, after, hash, job) };
  } catch (error) {
    if (error instanceof FatalError || error instanceof NotStartedError) throw error;
    const photoError = error instanceof PhotoError ? error : undefined;
    const outcome: PhotoOutcome = {
      file,
      status: 'failed',
      reason: errorMessage(error),
      errorKind: photoError?.kind ?? 'unreadable',
      ...photoError?.usage, // calls paid before the failure still count
      durationMs: Date.now() - started,
    };
    return {
      outcome,
      // Recorded even when the file vanished since it was queued: the job must not stay 'running'.
      record: options.dryRun ? undefined : recordOf(outcome, options, stat, hash, job),
      retryAfterMs: photoError?.retryAfterMs,
      countsAsAttempt: photoError?.countsAsAttempt ?? true,
    };
  }
}

export async function statPhoto(file: string): Promise<Stats> {
  let stat: Stats;
  try {
    stat = await fs.stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PhotoError('missing', 'no such file');
    throw new PhotoError('unreadable', `cannot read: ${code ?? errorMessage(error)}`);
  }
  if (stat.isDirectory()) throw new PhotoError('unsupported', 'is a directory (to tag a folder use `phototag scan`)');
  if (!stat.isFile()) throw new PhotoError('unsupported', 'not a regular file');
  if (stat.size === 0) throw new PhotoError('corrupt', 'empty file (0 bytes)');
  return stat;
}

async function tagFile(
  extras: JobRequest & { path: string },
  stat: Stats,
  runOptions: TagOptions,
  parts: PipelineParts,
  signal: AbortSignal | undefined,
  setHash: (hash: string) => void,
): Promise<Omit<PhotoOutcome, 'durationMs'>> {
  const file = extras.path;
  // A job may carry its own languages (a Telegram user's /lang) and ask to be tagged again (Regenerate, Edit).
  const options: TagOptions = {
    ...runOptions,
    languages: extras.languages ?? runOptions.languages,
    profile: extras.profile ?? runOptions.profile,
    force: runOptions.force || Boolean(extras.again),
    overwrite: runOptions.overwrite || Boolean(extras.again),
  };
  // One read of the bytes gives the content hash and (JPEG, GIF) the pre-write image digest.
  const digests = await hashPhoto(file);
  const hash = digests.sha256;
  setHash(hash);
  const proposal = extras.proposal;
  // A proposal holds for the photo's image data: a metadata edit since (an earlier apply of the same CSV, a
  // person's edit) does not void it, new pixels do. Checked against the image digest just before the write.
  const proposalStale = proposal !== undefined && proposal.hash !== hash;
  const imageOptions = { maxEdge: options.maxEdge, quality: options.jpegQuality };
  // Decode while ExifTool reads (sharp sniffs the format itself); used only if the content is a sharp format
  // and the answer is not cached.
  const timed = <T>(stage: TimedStage, work: () => Promise<T>): Promise<T> => {
    const began = performance.now();
    return work().finally(() => parts.onTiming?.(file, stage, performance.now() - began));
  };
  const decoding = hasSharpExtension(file)
    ? settle(timed('decode', () => prepareImage(file, SHARP_FORMAT, {}, parts.tool, imageOptions)))
    : undefined;
  const meta = await timed('read', () => parts.tool.read(file, { fast: digests.plainJpeg }));
  const format = formatOf(meta.fileType);
  if (!format) {
    throw new PhotoError(
      'unsupported',
      meta.fileType ? `unsupported format (${meta.fileType})` : `not an image ExifTool can read${meta.error ? ` (${meta.error})` : ''}`,
    );
  }
  const useSidecar = format.sidecarOnly || options.sidecar;
  // Decided from the content before anything is paid: a format ExifTool cannot write into needs a sidecar.
  if (!useSidecar && !format.inFile)
    throw new PhotoError('unsupported', `ExifTool cannot write metadata into ${format.name} files; ${SIDECAR_HINT}`);
  // Root may write anyway; a photo its owner made read-only is not ours to change.
  if (!useSidecar && !options.dryRun && (stat.mode & 0o222) === 0) throw new PhotoError('read-only', 'file is read-only');

  const where = { file, useSidecar, sidecarName: options.sidecarName };
  const state = await firstState(where, stat, meta.tags, parts.tool);
  const sidecar = state.sidecar;
  const existing = state.existing;
  if (!proposal && isFullyTagged(existing) && !options.force) {
    return { file, status: 'skipped', skip: 'tagged', reason: 'already has a title, description and keywords (--force to tag again)' };
  }

  let probe: ProbeResult | undefined;
  // Only a warning about the structure predicts a refusal (`[minor]` ones are repaired or harmless).
  const warning = meta.tags['ExifTool:Warning'];
  if (!useSidecar && !options.dryRun && warning !== undefined && !String(warning).startsWith('[minor]')) {
    // A truncated file is reported as truncated, not as the write ExifTool then refuses.
    const early = format.pixels === 'sharp' && decoding ? await decoding : undefined;
    if (early && !early.ok) throw early.error;
    probe = await probeInFileWrite(parts.tool, file, format);
  }
  // IPTC stays out of a file whose IPTC block ExifTool refuses (the probe's warning says so).
  const writeFormat = probe && !probe.iptc ? { ...format, iptc: false } : format;

  const hint = extras.hint ?? options.hint;
  const context = await contextLines(file, meta.tags, existing.keywords, { hint, geocode: options.geocode });
  const cacheKey = analysisKey({
    hash,
    model: parts.modelKey,
    tuning: parts.tuningKey,
    languages: options.languages,
    maxKeywords: options.maxKeywords,
    hint,
    geocode: options.geocode,
  });
  // --force and Regenerate ask the model again; an identical photo already being asked about waits for that answer.
  const cached = options.force || extras.regenerate ? undefined : parts.store.cache.cachedAnalysis(cacheKey);

  // The pre-write image digest is computed while the model thinks.
  const pixelsBefore = sidecar || options.dryRun ? undefined : settle(imageDataHash(file, format, parts.tool, digests));
  if (!options.dryRun) await precheckWrite({ file, meta, sidecar, tool: parts.tool, imageDigest: pixelsBefore }); // before paying for an answer
  const analysis: Analysis = proposal
    ? { result: proposal.result, provider: 'review', model: 'review', tokensIn: 0, tokensOut: 0, cost: 0, cacheHit: false }
    : (cached ??
      (await askOnce(parts.store, keyString(cacheKey), async () => {
        const image =
          format.pixels === 'sharp' && decoding
            ? unwrap(await decoding)
            : await timed('decode', () => prepareImage(file, format, meta, parts.tool, imageOptions));
        const release = parts.modelSlot ? await parts.modelSlot() : undefined;
        let answer: Analysis;
        try {
          parts.onStage?.(file, 'analyzing');
          answer = await timed('model', () => parts.analyze(image.jpeg, context, options.languages, signal));
        } finally {
          release?.();
        }
        // Kept at once, so a crash before the write costs no second call; forgotten below if it cannot be written.
        parts.store.cache.saveAnalysis(cacheKey, answer);
        return answer;
      })));
  try {
    // A reviewed proposal is written as the person left it; a model's answer meets the profile first. Both are capped.
    const result = boundResult(
      proposal
        ? proposal.result
        : applyProfile(analysis.result, {
            profile: options.profile,
            languages: options.languages,
            maxKeywords: options.maxKeywords,
            banned: options.bannedKeywords,
            required: [...options.requiredKeywords, ...folderKeywordsFor(file, options.folderKeywords)],
          }),
      options.languages,
    );
    const base = {
      file,
      title: result[options.languages[0]!]!.title,
      description: result[options.languages[0]!]!.description,
      keywords: options.languages.flatMap((lang) => result[lang]!.keywords),
      result,
      model: analysis.model,
      provider: analysis.provider,
      cacheHit: analysis.cacheHit,
      tokensIn: analysis.tokensIn,
      tokensOut: analysis.tokensOut,
      cost: analysis.cost,
      target: sidecar?.path ?? file,
      hash,
    };
    const overwrite = options.overwrite || proposal !== undefined;
    if (options.dryRun) {
      const plan = planWrite(
        result,
        options.languages,
        existing,
        { iptc: !useSidecar && writeFormat.iptc, exif: !useSidecar && format.exif },
        overwrite,
        profileFields(options.profile),
      );
      return { ...base, status: 'done', dryRun: true, fieldsWritten: Object.keys(plan.tags) };
    }

    parts.onStage?.(file, 'writing');
    const digest = pixelsBefore ? unwrap(await pixelsBefore) : undefined;
    if (pixelsBefore && !digest) throw new PhotoError('unreadable', 'cannot compute the image data hash needed to verify the write');
    if (proposalStale && (!digest || digest !== (proposal.imageHash ?? parts.store.writes.imageHashOf(proposal.hash))))
      throw new PhotoError('changed', "the photo's image data changed since the proposal was made (or cannot be told apart): tag it again");
    const step = await timed('write', () =>
      writeChecked(
        result,
        state,
        where,
        {
          file,
          format: writeFormat,
          languages: options.languages,
          overwrite,
          extras: profileFields(options.profile),
          keepOriginal: options.backup,
          updateMtime: options.updateMtime,
          imageDataHash: digest,
          // A reviewed text is written whenever it differs from what the photo holds, and only then.
          onlyIfDifferent: proposal !== undefined,
          journal: {
            writes: parts.store.writes,
            facts: {
              path: file,
              kind: !proposal ? 'tag' : (extras.source ?? options.source) === 'telegram' ? 'edit' : 'apply',
              source: extras.source ?? options.source,
              languages: options.languages,
              result,
              provider: analysis.provider,
              model: analysis.model,
              tokens: analysis.tokensIn + analysis.tokensOut,
              cost: analysis.cost,
            },
          },
        },
        parts.tool,
      ),
    ).catch((error: unknown) => {
      // ExifTool refused the file's structure: a sidecar can still carry the metadata.
      if (!useSidecar && error instanceof PhotoError && error.kind === 'write-failed')
        throw new PhotoError('write-failed', `${error.message}; ${SIDECAR_HINT}`);
      throw error;
    });
    if (step.status === 'nothing')
      return {
        ...base,
        status: 'skipped',
        skip: 'nothing-to-add',
        reason: proposal ? 'already holds exactly what the review says' : 'nothing to add: every field is already filled',
      };
    // Written and verified: the answer is known to be writable (again, if another photo's failure forgot it).
    if (!proposal) parts.store.cache.saveAnalysis(cacheKey, analysis);
    return {
      ...base,
      status: 'done',
      fieldsWritten: step.report.fieldsWritten,
      warnings: probe?.warning ? [probe.warning, ...step.report.warnings] : step.report.warnings,
    };
  } catch (error) {
    // An answer that could not be written is not kept: `retry` and `--force` ask the model again.
    if (!proposal && blamesAnswer(error)) parts.store.cache.forgetAnalysis(cacheKey, analysis);
    if (error instanceof PhotoError && !proposal && !analysis.cacheHit) error.usage ??= usageOf(analysis);
    throw error;
  }
}

function usageOf(analysis: Analysis): CallUsage {
  const { provider, model, tokensIn, tokensOut, cost } = analysis;
  return { provider, model, tokensIn, tokensOut, cost };
}

/** Failures after the answer that the answer may have caused (what the profile refused, what would not write). */
function blamesAnswer(error: unknown): boolean {
  return (
    error instanceof PhotoError && (error.kind === 'invalid-output' || error.kind === 'write-failed' || error.kind === 'verify-failed')
  );
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Start work early without an unhandled rejection if its result is never used. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function unwrap<T>(settled: Settled<T>): T {
  if (!settled.ok) throw settled.error;
  return settled.value;
}

function folderKeywordsFor(file: string, folders: Record<string, string[]>): string[] {
  return Object.entries(folders).flatMap(([dir, words]) => (file.startsWith(`${dir}${path.sep}`) ? words : []));
}

function recordOf(
  outcome: PhotoOutcome,
  options: TagOptions,
  stat: Stats | undefined,
  hash: string | undefined,
  job: JobRequest,
): PhotoRecord {
  const { file, status, reason, skip: _skip, target: _target, dryRun: _dryRun, ...facts } = outcome;
  return {
    ...facts,
    hash,
    path: file,
    telegramUser: job.telegram?.user,
    size: stat?.size,
    mtimeMs: stat?.mtimeMs,
    status,
    source: job.source ?? options.source,
    error: status === 'failed' ? reason : undefined,
  };
}
