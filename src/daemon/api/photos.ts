import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { JobRequest } from '../../core/job.js';
import { PROFILES } from '../../core/profiles.js';
import type { Store } from '../../core/store.js';
import type { Logger } from '../log.js';
import { HttpError, intParam, parseQuery, parseWith, sendJson, timeParam } from './respond.js';
import type { ApiRoute } from './routes.js';
import { receiveUpload, uploadName, type UploadLimits } from './upload.js';

export interface PhotoApiDeps {
  store: () => Store;
  uploads: UploadLimits;
  /** Queue these uploaded photos with what they were asked with; returns each one's job id. */
  enqueue: (files: string[], request: JobRequest) => number[];
  log: Logger;
}

const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/u;

/** The form fields an upload may carry beside its photos: what a Telegram caption and /lang give a Telegram job. */
const uploadFields = z
  .object({
    /** "en,ru", or the field repeated. */
    languages: z
      .array(z.string())
      .transform((values) => values.flatMap((v) => v.split(/[\s,+]+/u)).filter(Boolean))
      .pipe(z.array(z.string().regex(LANGUAGE, 'a language code such as "en" or "ru"')).min(1).max(8))
      .optional(),
    hint: z
      .array(z.string())
      .max(1, 'give one hint')
      .transform((values) => values[0]!.trim())
      .pipe(z.string().min(1).max(1000))
      .optional(),
    profile: z
      .array(z.string())
      .max(1, 'give one profile')
      .transform((values) => values[0]!)
      .pipe(z.enum(PROFILES))
      .optional(),
  })
  .strict();

const listQuery = z
  .object({
    status: z.enum(['queued', 'running', 'done', 'skipped', 'failed']).optional(),
    source: z.enum(['cli', 'scan', 'watch', 'telegram', 'api']).optional(),
    since: timeParam.optional(),
    until: timeParam.optional(),
    q: z.string().trim().min(1).max(200).optional(),
    limit: intParam(1, 500).default(50),
    offset: intParam(0, 100_000_000).default(0),
  })
  .strict();

const idParam = z.object({ id: intParam(1, Number.MAX_SAFE_INTEGER) });

/** `/api/photos`: upload, look up one photo or its file, list the history. */
export function photoRoutes(deps: PhotoApiDeps): ApiRoute[] {
  return [
    {
      method: 'POST',
      path: '/api/photos',
      changesState: true,
      handle: async ({ req, res }) => {
        const upload = await receiveUpload(req, deps.uploads);
        let fields: z.infer<typeof uploadFields>;
        try {
          fields = parseWith(uploadFields, upload.fields, 'form field');
          if (upload.saved.length === 0)
            throw new HttpError(400, 'no photo in the request: send each as a file part (curl -F photo=@IMG_1234.jpg)', {
              rejected: upload.rejected,
            });
        } catch (error) {
          for (const saved of upload.saved) fs.rmSync(saved.file, { force: true });
          throw error;
        }
        const request: JobRequest = { source: 'api', languages: fields.languages, hint: fields.hint, profile: fields.profile };
        const ids = deps.enqueue(
          upload.saved.map((s) => s.file),
          request,
        );
        deps.log.info('photos uploaded over http', { photos: ids.length, rejected: upload.rejected.length });
        sendJson(res, 202, {
          photos: upload.saved.map((saved, i) => ({ id: ids[i]!, name: saved.name, status: 'queued', url: `/api/photos/${ids[i]}` })),
          rejected: upload.rejected,
        });
      },
    },
    {
      method: 'GET',
      path: '/api/photos',
      changesState: false,
      handle: ({ res, url }) => {
        const query = parseQuery(url, listQuery);
        if (query.since !== undefined && query.until !== undefined && query.until <= query.since)
          throw new HttpError(400, 'invalid query parameter "until": must be after "since"');
        const page = deps.store().history.list(query);
        sendJson(res, 200, { total: page.total, limit: query.limit, offset: query.offset, photos: page.photos.map(withName) });
      },
    },
    {
      method: 'GET',
      path: '/api/photos/{id}',
      changesState: false,
      handle: ({ res, params }) => {
        const { id } = parseWith(idParam, params, 'path parameter');
        const photo = deps.store().history.photo(id);
        if (!photo) throw new HttpError(404, `no photo ${id}`);
        sendJson(res, 200, withName(photo));
      },
    },
    {
      method: 'GET',
      path: '/api/photos/{id}/file',
      changesState: false,
      handle: async ({ req, res, params }) => {
        const { id } = parseWith(idParam, params, 'path parameter');
        const photo = deps.store().history.photo(id);
        if (!photo) throw new HttpError(404, `no photo ${id}`);
        if (photo.status !== 'done' && photo.status !== 'skipped')
          throw new HttpError(409, `photo ${id} is ${photo.status}: its file is served once it is tagged`, { status: photo.status });
        const stat = await fs.promises.stat(photo.path).catch(() => undefined);
        if (!stat?.isFile()) throw new HttpError(404, `the file of photo ${id} is gone (retention, or moved by hand)`);
        const name = uploadName(photo.path);
        res.writeHead(200, {
          'content-type': contentType(name),
          'content-length': String(stat.size),
          'content-disposition': contentDisposition(name),
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
        });
        if (req.method === 'HEAD') return void res.end();
        await new Promise<void>((resolve, reject) => {
          const stream = fs.createReadStream(photo.path);
          stream.on('error', reject);
          res.on('close', resolve);
          stream.pipe(res);
        });
      },
    },
  ];
}

/** Each photo with the name it was sent or found as. */
function withName<T extends { path: string }>(photo: T): T & { name: string } {
  return { ...photo, name: uploadName(photo.path) };
}

const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  jfif: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  heic: 'image/heic',
  heif: 'image/heif',
  avif: 'image/avif',
  jxl: 'image/jxl',
  jp2: 'image/jp2',
  bmp: 'image/bmp',
  psd: 'image/vnd.adobe.photoshop',
};

export function contentType(name: string): string {
  return TYPES[path.extname(name).slice(1).toLowerCase()] ?? 'application/octet-stream';
}

/** `attachment` with an ASCII fallback name (no quotes, backslashes or controls) and the real one in RFC 5987 form. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/gu, '_') || 'photo';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
