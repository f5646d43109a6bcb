import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How to rebuild a file's bytes from before a write out of the bytes after it, stored small: a metadata
 * write changes a few KB around the image data, which both versions share. The delta copies the shared
 * stretches from the file as it is now and holds only the bytes that differ (deflated).
 *
 * Ops, in order: copy `length` bytes from `from` in the after-file, or insert the next `length` stored bytes.
 */
type Op = { copy: number; length: number } | { insert: number };

export interface Delta {
  ops: Op[];
  bytes: Buffer;
}

/** A probe this long, taken from the middle of what differs, finds the shared image data in the other file. */
const PROBE = 64;

/** Above this much differing data a delta is not kept (undo then restores field by field). */
export const MAX_DELTA_BYTES = 16 * 1024 * 1024;

/** The ops that turn `after` back into `before`; undefined when they would hold more than MAX_DELTA_BYTES. */
export function makeDelta(before: Buffer, after: Buffer): Delta | undefined {
  const prefix = commonPrefix(before, after);
  const suffix = commonSuffix(before, after, prefix);
  const ops: Op[] = [];
  const inserted: Buffer[] = [];
  const insert = (from: number, to: number) => {
    if (to <= from) return;
    ops.push({ insert: to - from });
    inserted.push(before.subarray(from, to));
  };
  if (prefix > 0) ops.push({ copy: 0, length: prefix });
  const end = before.length - suffix;
  const shared = sharedStretch(before, after, prefix, end, after.length - suffix);
  if (shared) {
    insert(prefix, shared.start);
    ops.push({ copy: shared.start + shared.shift, length: shared.end - shared.start });
    insert(shared.end, end);
  } else insert(prefix, end);
  if (suffix > 0) ops.push({ copy: after.length - suffix, length: suffix });
  const bytes = Buffer.concat(inserted);
  return bytes.length > MAX_DELTA_BYTES ? undefined : { ops, bytes };
}

export function applyDelta(delta: Delta, after: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const op of delta.ops) {
    if ('copy' in op) {
      if (op.copy + op.length > after.length) throw new Error('the file is shorter than the delta expects');
      parts.push(after.subarray(op.copy, op.copy + op.length));
    } else {
      parts.push(delta.bytes.subarray(at, at + op.insert));
      at += op.insert;
    }
  }
  return Buffer.concat(parts);
}

/** One blob for SQLite: a 4-byte length, the ops as JSON, the inserted bytes; deflated. */
export function encodeDelta(delta: Delta): Buffer {
  const ops = Buffer.from(JSON.stringify(delta.ops), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(ops.length);
  return deflateRawSync(Buffer.concat([length, ops, delta.bytes]));
}

export function decodeDelta(blob: Buffer): Delta {
  const raw = inflateRawSync(blob);
  const length = raw.readUInt32BE(0);
  return { ops: JSON.parse(raw.subarray(4, 4 + length).toString('utf8')) as Op[], bytes: raw.subarray(4 + length) };
}

function commonPrefix(a: Buffer, b: Buffer): number {
  const max = Math.min(a.length, b.length);
  let n = 0;
  // Whole chunks first (native compare), then byte by byte inside the first chunk that differs.
  for (const step of [65536, 1]) while (n + step <= max && a.compare(b, n, n + step, n, n + step) === 0) n += step;
  return n;
}

function commonSuffix(a: Buffer, b: Buffer, prefix: number): number {
  const max = Math.min(a.length, b.length) - prefix;
  let n = 0;
  for (const step of [65536, 1])
    while (n + step <= max && a.compare(b, b.length - n - step, b.length - n, a.length - n - step, a.length - n) === 0) n += step;
  return n;
}

/**
 * The longest stretch around the middle of before[from, to) that after[from, afterTo) holds too, shifted by
 * `shift` (a metadata block grew or shrank in front of the image data). Only bytes that are really equal are
 * shared, so a probe that matches by chance costs size, never correctness.
 */
function sharedStretch(
  before: Buffer,
  after: Buffer,
  from: number,
  to: number,
  afterTo: number,
): { start: number; end: number; shift: number } | undefined {
  if (to - from < PROBE * 4) return undefined;
  const middle = from + Math.floor((to - from - PROBE) / 2);
  const found = after.subarray(0, afterTo).indexOf(before.subarray(middle, middle + PROBE), from);
  if (found < 0) return undefined;
  const shift = found - middle;
  let start = middle;
  while (start > from && start + shift > from && before[start - 1] === after[start - 1 + shift]) start--;
  let end = middle + PROBE;
  while (end < to && end + shift < afterTo && before[end] === after[end + shift]) end++;
  return end - start >= PROBE * 4 ? { start, end, shift } : undefined;
}
