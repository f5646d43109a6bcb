import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyDelta, decodeDelta, encodeDelta, makeDelta } from '../../src/core/delta.js';

/** A "photo": a metadata head, image data, a trailer. */
const pixels = randomBytes(300_000);
const photo = (head: string, trailer = '') => Buffer.concat([Buffer.from(head), pixels, Buffer.from(trailer)]);

describe('write delta', () => {
  it.each([
    ['a grown header', photo('HEAD'), photo('HEAD with a much longer XMP packet')],
    ['a shrunk header', photo('a long header before'), photo('short')],
    ['a changed trailer too', photo('H1', 'old trailer'), photo('H2 longer', 'the new trailer, longer')],
    ['identical files', photo('same'), photo('same')],
    ['a new file from nothing', Buffer.alloc(0), photo('x')],
  ])('rebuilds the exact old bytes after %s, storing only what differs', (_name, before, after) => {
    const delta = decodeDelta(encodeDelta(makeDelta(before, after)!));
    expect(applyDelta(delta, after).equals(before)).toBe(true);
    expect(delta.bytes.length).toBeLessThan(100);
  });

  it('keeps everything when nothing is shared, and still rebuilds it', () => {
    const before = randomBytes(5000);
    const after = randomBytes(7000);
    const delta = makeDelta(before, after)!;
    expect(applyDelta(delta, after).equals(before)).toBe(true);
  });
});
