import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errorMessage } from '../../core/errors.js';
import { hasPhotoExtension } from '../../core/formats.js';
import { safeName } from '../telegram.js';
import { HttpError } from './respond.js';

export interface UploadLimits {
  /** Where the photos go (created when needed); nothing is written anywhere else. */
  dir: string;
  maxFileBytes: number;
  maxFiles: number;
}

export interface SavedUpload {
  /** The name as sent, made safe. */
  name: string;
  file: string;
}

export interface ReceivedUpload {
  saved: SavedUpload[];
  /** Parts that are not photos (by their name), with why. */
  rejected: { name: string; error: string }[];
  fields: Record<string, string[]>;
}

const FIELD_BYTES = 4096;
let sequence = 0;

/**
 * A multipart/form-data body streamed to disk (busboy): each photo straight into `dir`, nothing held in memory.
 * A photo over the size limit stops being written at the limit; the rest of the body is read and dropped (so
 * the client hears the 413), up to a bound past which the connection is closed. On any refusal every file this
 * request wrote is removed.
 */
export async function receiveUpload(req: http.IncomingMessage, limits: UploadLimits): Promise<ReceivedUpload> {
  if (!/^multipart\/form-data\s*;/iu.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'send the photos as multipart/form-data (curl -F photo=@IMG_1234.jpg)');
  // The most a valid request can be: every photo at the limit, its part headers and a few small fields.
  const bound = limits.maxFiles * (limits.maxFileBytes + 16_384) + 64 * FIELD_BYTES;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > bound) throw new HttpError(413, tooLarge(limits), { close: true });

  const { default: busboy } = await import('busboy');
  let parser: ReturnType<typeof busboy>;
  try {
    parser = busboy({
      headers: req.headers,
      limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: 32, fieldSize: FIELD_BYTES, parts: limits.maxFiles + 32 },
    });
  } catch (error) {
    throw new HttpError(400, `malformed multipart/form-data request: ${errorMessage(error)}`);
  }

  const received: ReceivedUpload = { saved: [], rejected: [], fields: {} };
  const writes: Promise<void>[] = [];
  let refusal: HttpError | undefined;
  const refuse = (error: HttpError) => (refusal ??= error);

  parser.on('file', (_field: string, stream: Readable & { truncated?: boolean }, info: { filename?: string }) => {
    // A body cut short errors every open part; the parser's own error says so (and a stream error unheard would end the process).
    stream.on('error', () => undefined);
    const name = safeName(info.filename ?? 'photo.jpg');
    if (refusal || !hasPhotoExtension(name)) {
      if (!refusal) received.rejected.push({ name, error: 'not a photo phototag tags (judged by its file name extension)' });
      stream.resume();
      return;
    }
    writes.push(
      save(stream, limits.dir, name).then(
        (file) => {
          if (file) received.saved.push({ name, file });
          else refuse(new HttpError(413, tooLarge(limits), { name }));
        },
        (error: unknown) => {
          stream.resume();
          refuse(new HttpError(500, `could not store ${name}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`));
        },
      ),
    );
  });
  parser.on('field', (name: string, value: string, info: { valueTruncated: boolean }) => {
    if (info.valueTruncated) refuse(new HttpError(400, `invalid form field "${name}": longer than ${FIELD_BYTES} bytes`));
    (received.fields[name] ??= []).push(value);
  });
  parser.on('filesLimit', () => refuse(new HttpError(413, `at most ${limits.maxFiles} photos per request`)));
  parser.on('fieldsLimit', () => refuse(new HttpError(400, 'too many form fields')));
  parser.on('partsLimit', () => refuse(new HttpError(400, 'too many parts')));

  await new Promise<void>((resolve) => {
    let bytes = 0;
    const overBound = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= bound) return;
      // Past what any valid request can be: stop reading and close the connection.
      refuse(new HttpError(413, tooLarge(limits), { close: true }));
      req.off('data', overBound);
      req.unpipe(parser);
      parser.destroy();
      resolve();
    };
    req.on('data', overBound);
    parser.on('close', () => resolve());
    parser.on('error', (error: unknown) => {
      refuse(new HttpError(400, `malformed multipart/form-data body: ${errorMessage(error)}`));
      req.unpipe(parser);
      req.resume(); // read the rest, so the client hears the answer
      req.once('end', () => resolve());
      if (req.readableEnded) resolve();
    });
    req.on('aborted', () => {
      refuse(new HttpError(400, 'the request was cut off'));
      resolve();
    });
    req.pipe(parser);
  });
  await Promise.all(writes);
  if (refusal) {
    for (const saved of received.saved) fs.rmSync(saved.file, { force: true });
    throw refusal;
  }
  return received;
}

function tooLarge(limits: UploadLimits): string {
  return `a photo is larger than the upload limit (serve.uploadMaxMb = ${limits.maxFileBytes / 1024 / 1024} MB)`;
}

/** One photo into `dir` (via a `.part` file) under a name no other upload has; undefined when it passed the limit. */
async function save(stream: Readable & { truncated?: boolean }, dir: string, name: string): Promise<string | undefined> {
  await fs.promises.mkdir(dir, { recursive: true });
  const target = path.join(dir, `${Date.now()}${String(sequence++ % 1000).padStart(3, '0')}-${name}`);
  // Whatever the name said, the file stays inside the uploads folder.
  if (path.dirname(target) !== path.resolve(dir)) throw new Error('unsafe file name');
  const partial = `${target}.part`;
  try {
    await pipeline(stream, fs.createWriteStream(partial, { flags: 'wx' }));
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
  if (stream.truncated) {
    fs.rmSync(partial, { force: true });
    return undefined;
  }
  await fs.promises.rename(partial, target);
  return target;
}

/** The name an upload was sent as, without the arrival time its file name starts with. */
export function uploadName(file: string): string {
  return path.basename(file).replace(/^\d{13,}-/u, '');
}
