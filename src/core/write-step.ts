import type { Stats } from 'node:fs';
import { assertExifFits, ExifOverflow, exifSegments, fitExifDescription, withoutExifDescription } from './exif-room.js';
import { PhotoError } from './errors.js';
import type { MetadataTool, RawTags } from './exiftool.js';
import { existingText, planWrite, verifyWrite, type ExistingText, type ExtraFields, type WritePlan } from './fieldmap.js';
import type { PhotoFormat } from './formats.js';
import {
  ChangedWhileWriting,
  changedFields,
  isUnchanged,
  keepFields,
  KEPT_CHANGING,
  MAX_PLANS,
  snapshotOf,
  takeSnapshot,
  type Snapshot,
} from './plan-check.js';
import { recordWrite, type Journal } from './journal.js';
import { findSidecar, type SidecarName } from './sidecar.js';
import type { ModelResult } from './types.js';
import { writeVerified, type WriteReport } from './writer.js';

/** The metadata a plan is made from, and what its file looked like when it was read. */
export interface PhotoState {
  sidecar?: { path: string; exists: boolean };
  /** The tags `existing` was read from (the sidecar's when there is one, else the photo's). */
  tags: RawTags;
  existing: ExistingText;
  /** The file the plan will replace (photo or sidecar), as it was before its metadata was read. */
  snapshot: Snapshot;
}

export interface Where {
  file: string;
  useSidecar: boolean;
  sidecarName: SidecarName;
}

/** The state from the photo's first read (`stat` taken before it), plus its sidecar when metadata goes there. */
export async function firstState(where: Where, photoStat: Stats, photoTags: RawTags, tool: MetadataTool): Promise<PhotoState> {
  if (!where.useSidecar) return { tags: photoTags, existing: existingText(photoTags), snapshot: snapshotOf(photoStat) };
  return sidecarState(where, photoTags, tool);
}

/** Read the state again (the target changed since the plan was made). */
export async function freshState(where: Where, tool: MetadataTool): Promise<PhotoState> {
  if (where.useSidecar) return sidecarState(where, undefined, tool);
  const snapshot = await takeSnapshot(where.file);
  const tags = (await tool.read(where.file)).tags;
  return { tags, existing: existingText(tags), snapshot };
}

async function sidecarState(where: Where, photoTags: RawTags | undefined, tool: MetadataTool): Promise<PhotoState> {
  const sidecar = findSidecar(where.file, where.sidecarName);
  const snapshot = await takeSnapshot(sidecar.path);
  // A new sidecar starts from the photo's own metadata, so that is what counts as existing.
  const tags = sidecar.exists ? (await tool.read(sidecar.path)).tags : (photoTags ?? (await tool.read(where.file)).tags);
  return { sidecar: { path: sidecar.path, exists: snapshot !== 'absent' }, tags, existing: existingText(tags), snapshot };
}

export interface WriteRequest {
  file: string;
  format: PhotoFormat;
  languages: readonly string[];
  overwrite: boolean;
  keepOriginal: boolean;
  /** Give the written photo a new modification time (default: keep it). */
  updateMtime?: boolean;
  /** Fields a profile adds (stock profiles: Headline). */
  extras?: ExtraFields;
  /** Digest of the photo's image data before the write (in-file writes). */
  imageDataHash?: string;
  /** Record each write (fields before and after, the bytes to undo it) before it replaces the target. */
  journal?: Journal;
  /** Write nothing when the target already holds every planned value (a review CSV applied again). */
  onlyIfDifferent?: boolean;
}

export type WriteStep = { status: 'written'; report: WriteReport; plan: WritePlan } | { status: 'nothing'; plan: WritePlan };

/**
 * Plan the write from `state`, and write it only if the target is still what the plan was made from: a
 * person's edit made while the model thought is read again and the plan made again from it, keeping what
 * they wrote (their title, their keywords). A JPEG's EXIF stays in one 64 KB segment.
 */
export async function writeChecked(
  result: ModelResult,
  first: PhotoState,
  where: Where,
  request: WriteRequest,
  tool: MetadataTool,
): Promise<WriteStep> {
  let state = first;
  let dropExifDescription = false;
  for (let attempt = 0; attempt < MAX_PLANS; attempt++) {
    const destination = { iptc: !state.sidecar && request.format.iptc, exif: !state.sidecar && request.format.exif };
    let plan = planWrite(result, request.languages, state.existing, destination, request.overwrite, request.extras);
    // Replacing (--overwrite, Regenerate) never replaces what someone wrote after the photo was read.
    if (request.overwrite && state !== first)
      plan = keepFields(
        plan,
        planWrite(result, request.languages, state.existing, destination, false, request.extras),
        changedFields(first.existing, state.existing),
      );
    if (Object.keys(plan.tags).length === 0) return { status: 'nothing', plan };
    if (request.onlyIfDifferent && verifyWrite(plan.tags, state.tags).length === 0) return { status: 'nothing', plan };
    const target = state.sidecar?.path ?? request.file;
    const segments = state.sidecar ? undefined : await exifSegments(request.file);
    const warnings: string[] = [];
    const fitted = dropExifDescription
      ? withoutExifDescription(plan, 'the EXIF would not fit in one 64 KB JPEG segment')
      : fitExifDescription(plan, segments, state.tags);
    plan = fitted.plan;
    if (fitted.warning) warnings.push(fitted.warning);
    if (!(await isUnchanged(target, state.snapshot))) {
      state = await freshState(where, tool);
      continue;
    }
    const snapshot = state.snapshot;
    const before = state.tags;
    const created = state.sidecar ? !state.sidecar.exists : false;
    let recorded: number | undefined;
    try {
      const report = await writeVerified(
        tool,
        {
          photo: request.file,
          file: target,
          create: created,
          imageDataHash: request.imageDataHash,
          format: request.format,
        },
        plan,
        {
          keepOriginal: request.keepOriginal,
          updateMtime: request.updateMtime,
          beforeCommit: async (written, writtenTags) => {
            if (!(await isUnchanged(target, snapshot))) throw new ChangedWhileWriting(target);
            await assertExifFits(written, segments);
            // Durably recorded before the copy replaces the target, so `phototag undo` can always put it back.
            if (request.journal)
              recorded = await recordWrite(request.journal, {
                target,
                written,
                created,
                plan: { ...plan, tags: writtenTags },
                before,
                imageHash: request.imageDataHash,
              });
          },
        },
      );
      if (recorded !== undefined) request.journal!.writes.committed(recorded);
      return { status: 'written', report: { ...report, warnings: [...warnings, ...report.warnings] }, plan };
    } catch (error) {
      if (recorded !== undefined) request.journal!.writes.abandoned(recorded);
      if (error instanceof ChangedWhileWriting) {
        state = await freshState(where, tool);
        continue;
      }
      if (error instanceof ExifOverflow && !dropExifDescription) {
        dropExifDescription = true;
        continue;
      }
      throw error;
    }
  }
  throw new PhotoError('changed', KEPT_CHANGING);
}
