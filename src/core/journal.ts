import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { encodeDelta, makeDelta } from './delta.js';
import type { RawTags } from './exiftool.js';
import type { WritePlan } from './fieldmap.js';
import type { FieldChange, NewWrite, WriteStore } from './store.js';

/** Who a write is for and what it writes, known before the write step (the pipeline, `undo`). */
export type WriteFacts = Omit<NewWrite, 'target' | 'created' | 'fields' | 'beforeSha256' | 'afterSha256' | 'imageHash' | 'restore'>;

/** Where the write step records each write before committing it. */
export interface Journal {
  writes: Pick<WriteStore, 'record' | 'committed' | 'abandoned'>;
  facts: WriteFacts;
}

/** The tag a plan key is read back as (`XMP-dc:Title-x-default` reads as `XMP-dc:Title`). */
export function readKey(tag: string): string {
  return tag.replace(/-x-default$/u, '');
}

/** Each field of the plan with its value before (from the tags the plan was made from) and the value written. */
export function fieldChanges(plan: WritePlan, before: RawTags): FieldChange[] {
  return Object.entries(plan.tags)
    .filter(([tag]) => !plan.reencoded.includes(tag))
    .map(([tag, after]) => ({ tag: readKey(tag), before: before[readKey(tag)] ?? null, after: after ?? null }));
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Record a verified write before its copy replaces the target, in one statement: each field before and after,
 * the target's SHA-256 before and after, and the delta that rebuilds its exact old bytes. A target that does
 * not exist yet (a new sidecar) needs no delta: undo removes it.
 */
export async function recordWrite(
  journal: Journal,
  write: { target: string; written: string; created: boolean; plan: WritePlan; before: RawTags; imageHash?: string },
): Promise<number> {
  const after = await fs.readFile(write.written);
  const before = write.created ? undefined : await fs.readFile(write.target);
  const delta = before ? makeDelta(before, after) : undefined;
  return journal.writes.record({
    ...journal.facts,
    target: write.target,
    created: write.created,
    fields: fieldChanges(write.plan, write.before),
    beforeSha256: before ? sha256(before) : undefined,
    afterSha256: sha256(after),
    imageHash: write.imageHash,
    restore: delta ? encodeDelta(delta) : undefined,
  });
}
