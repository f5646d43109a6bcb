/**
 * The OpenAPI 3.1 description of everything `phototag serve` answers, served at `/api/openapi.json`.
 * tests/e2e/api-openapi.test.ts checks that every route the server has is here and that real answers match.
 */

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(ref('Error'), description);
const nullable = (type: string): Schema => ({ type: [type, 'null'] });
const count = { type: 'integer', minimum: 0 };
const query = (name: string, description: string, schema: Schema = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const time = (name: string, description: string) =>
  query(name, `${description}: a date (2026-11-01), an ISO time, epoch milliseconds or a span back from now (90m, 12h, 7d, 2w)`);

const unauthorized = error('A valid bearer token is required (beyond loopback for every route, and for every state-changing one)');
const forbidden = error('No token is configured (serve.tokenFile): state-changing requests are disabled');
const badRequest = error('The request is malformed: the message names the field, its value and what was wrong');

const dayCounts: Schema = {
  type: 'object',
  required: ['day', 'done', 'skipped', 'failed'],
  properties: { day: { type: 'string', format: 'date' }, done: count, skipped: count, failed: count },
};

const schemas: Record<string, Schema> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: { error: { type: 'string', description: 'What was wrong, for a person' } },
  },
  Photo: {
    type: 'object',
    required: ['id', 'path', 'name', 'status', 'source', 'keywords', 'fieldsWritten', 'warnings', 'attempts', 'createdAt', 'updatedAt'],
    properties: {
      id: { type: 'integer', description: 'The job id' },
      path: { type: 'string', description: 'Where the photo is on the server' },
      name: { type: 'string', description: 'Its file name as sent or found' },
      status: { enum: ['queued', 'running', 'done', 'skipped', 'failed'] },
      source: { enum: ['cli', 'scan', 'watch', 'telegram', 'api'] },
      title: nullable('string'),
      description: nullable('string'),
      keywords: { type: 'array', items: { type: 'string' } },
      result: {
        type: ['object', 'null'],
        description: 'Every language written: { "en": { "title", "description", "keywords" }, … }',
        additionalProperties: {
          type: 'object',
          required: ['title', 'description', 'keywords'],
          properties: {
            title: { type: 'string' },
            description: { type: 'string' },
            keywords: { type: 'array', items: { type: 'string' } },
          },
        },
      },
      fieldsWritten: { type: 'array', items: { type: 'string' }, description: 'The metadata fields written, e.g. XMP-dc:Title' },
      warnings: { type: 'array', items: { type: 'string' }, description: 'Fields that could not be written, and why' },
      error: nullable('string'),
      errorKind: nullable('string'),
      attempts: count,
      provider: nullable('string'),
      model: nullable('string'),
      cacheHit: { type: 'boolean' },
      durationMs: nullable('integer'),
      languages: { type: ['array', 'null'], items: { type: 'string' } },
      hint: nullable('string'),
      profile: nullable('string'),
      telegramUser: nullable('string'),
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
    },
  },
  PhotoPage: {
    type: 'object',
    required: ['total', 'limit', 'offset', 'photos'],
    properties: {
      total: { ...count, description: 'Photos matching the filters, over all pages' },
      limit: count,
      offset: count,
      photos: { type: 'array', items: ref('Photo') },
    },
  },
  Rejected: {
    type: 'object',
    required: ['name', 'error'],
    properties: { name: { type: 'string' }, error: { type: 'string' } },
  },
  UploadAccepted: {
    type: 'object',
    required: ['photos', 'rejected'],
    properties: {
      photos: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'name', 'status', 'url'],
          properties: { id: { type: 'integer' }, name: { type: 'string' }, status: { const: 'queued' }, url: { type: 'string' } },
        },
      },
      rejected: { type: 'array', items: ref('Rejected'), description: 'Parts that were not photos (by their name)' },
    },
  },
  ScanResult: {
    type: 'object',
    required: ['folders', 'found', 'queued', 'alreadyQueued', 'unchanged', 'failedBefore', 'photos'],
    properties: {
      folders: { type: 'array', items: { type: 'string' } },
      found: count,
      queued: count,
      alreadyQueued: count,
      unchanged: { ...count, description: 'Tagged before and unchanged since' },
      failedBefore: { ...count, description: 'Failed before and unchanged since (POST /api/retry tries them again)' },
      photos: {
        type: 'array',
        description: 'The queued photos (the first 1000)',
        items: { type: 'object', required: ['id', 'path'], properties: { id: { type: 'integer' }, path: { type: 'string' } } },
      },
    },
  },
  Stats: {
    type: 'object',
    required: ['range', 'totals', 'perDay', 'perModel', 'failures', 'perSource', 'perTelegramUser', 'modelSwitches'],
    properties: {
      range: {
        type: 'object',
        required: ['since', 'until'],
        properties: { since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' } },
      },
      totals: {
        type: 'object',
        required: [
          'done',
          'skipped',
          'failed',
          'queued',
          'running',
          'cacheHits',
          'callsSaved',
          'tokens',
          'cost',
          'avgMs',
          'retries',
          'modelSwitches',
        ],
        properties: {
          done: count,
          skipped: count,
          failed: count,
          queued: { ...count, description: 'Waiting now' },
          running: { ...count, description: 'Being tagged now' },
          cacheHits: count,
          callsSaved: count,
          tokens: count,
          cost: { type: 'number' },
          avgMs: { ...nullable('integer'), description: 'Average processing time of the photos tagged in the range' },
          retries: count,
          modelSwitches: count,
        },
      },
      perDay: {
        type: 'array',
        items: {
          type: 'object',
          required: ['day', 'done', 'skipped', 'failed', 'queued', 'running', 'cost', 'avgMs', 'retries', 'modelSwitches'],
          properties: {
            day: { type: 'string', format: 'date' },
            done: count,
            skipped: count,
            failed: count,
            queued: count,
            running: count,
            cost: { type: 'number' },
            avgMs: nullable('integer'),
            retries: count,
            modelSwitches: count,
          },
        },
      },
      perModel: {
        type: 'array',
        items: {
          type: 'object',
          required: ['provider', 'model', 'calls', 'successRate', 'medianMs', 'p95Ms', 'tokensIn', 'tokensOut', 'cost'],
          properties: {
            provider: { type: 'string' },
            model: { type: 'string' },
            calls: count,
            successRate: { type: 'number' },
            medianMs: { type: 'number' },
            p95Ms: { type: 'number' },
            tokensIn: count,
            tokensOut: count,
            cost: { type: 'number' },
          },
        },
      },
      failures: {
        type: 'array',
        items: {
          type: 'object',
          required: ['kind', 'count', 'examples'],
          properties: {
            kind: { type: 'string' },
            count,
            examples: {
              type: 'array',
              items: {
                type: 'object',
                required: ['file', 'error', 'at'],
                properties: { file: { type: 'string' }, error: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
              },
            },
          },
        },
      },
      perSource: {
        type: 'array',
        items: {
          type: 'object',
          required: ['source', 'done', 'skipped', 'failed', 'days'],
          properties: { source: { type: 'string' }, done: count, skipped: count, failed: count, days: { type: 'array', items: dayCounts } },
        },
      },
      perTelegramUser: {
        type: 'array',
        items: {
          type: 'object',
          required: ['user', 'name', 'done', 'failed', 'days'],
          properties: {
            user: { type: 'string', description: 'The Telegram user id' },
            name: { ...nullable('string'), description: 'Their display name when they last sent a photo' },
            done: count,
            failed: count,
            days: { type: 'array', items: dayCounts },
          },
        },
      },
      modelSwitches: {
        type: 'array',
        items: {
          type: 'object',
          required: ['from', 'to', 'count'],
          properties: { from: { type: 'string' }, to: { type: 'string' }, count },
        },
      },
    },
  },
  Recent: {
    type: 'object',
    required: ['done', 'failed'],
    properties: {
      done: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'title', 'description', 'keywords', 'model', 'updatedAt'],
          properties: {
            path: { type: 'string' },
            title: nullable('string'),
            description: nullable('string'),
            keywords: { type: 'array', items: { type: 'string' } },
            model: nullable('string'),
            updatedAt: { type: 'integer' },
          },
        },
      },
      failed: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'error', 'kind', 'attempts', 'updatedAt'],
          properties: {
            path: { type: 'string' },
            error: nullable('string'),
            kind: nullable('string'),
            attempts: count,
            updatedAt: { type: 'integer' },
          },
        },
      },
    },
  },
};

const paths = {
  '/healthz': {
    get: {
      summary: 'Liveness: the process answers (never needs the token)',
      security: [],
      responses: {
        200: json({ type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }, 'Alive'),
      },
    },
  },
  '/readyz': {
    get: {
      summary: 'Readiness: database, ExifTool, workers, Telegram and the provider',
      responses: {
        200: json(ref('Readiness'), 'Every part works'),
        401: unauthorized,
        503: json(ref('Readiness'), 'A part is failing: its check says why'),
      },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics (text exposition format)',
      responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } }, 401: unauthorized },
    },
  },
  '/': {
    get: {
      summary: 'The dashboard page (holds no data; beyond loopback it asks for the token)',
      security: [],
      responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  },
  '/stats': {
    get: {
      summary: 'Statistics over a range: totals, per day, per model, failures, per source, per Telegram user, retries and model switches',
      parameters: [
        time('since', 'Start of the range (default: `days` days back at local midnight)'),
        time('until', 'End of the range, exclusive (default: now)'),
        query('days', 'Without `since`: how many days back (default 30)', { type: 'string', pattern: '^\\d+$' }),
      ],
      responses: { 200: json(ref('Stats'), 'Statistics'), 400: badRequest, 401: unauthorized },
    },
  },
  '/api/recent': {
    get: {
      summary: 'The newest tagged and failed photos (the dashboard)',
      parameters: [query('limit', 'How many of each (1–100, default 20)', { type: 'string', pattern: '^\\d+$' })],
      responses: { 200: json(ref('Recent'), 'Newest photos'), 400: badRequest, 401: unauthorized },
    },
  },
  '/api/status': {
    get: {
      summary: "The dashboard's view of the daemon: each part's health, the provider and model in use, paused models, photos in progress",
      responses: {
        200: json({ type: 'object', required: ['parts', 'provider', 'inProgress'] }, 'Daemon status'),
        401: unauthorized,
      },
    },
  },
  '/api/retry': {
    post: {
      summary: 'Queue failed photos again',
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              properties: {
                paths: { type: 'array', items: { type: 'string' }, minItems: 1 },
                kind: { type: 'string', pattern: '^[a-z-]{1,40}$' },
              },
            },
          },
        },
      },
      responses: {
        200: json({ type: 'object', required: ['requeued'], properties: { requeued: count } }, 'How many were queued again'),
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        413: error('The body is larger than 1 MB'),
      },
    },
  },
  '/api/photos': {
    post: {
      summary: 'Upload photos to tag (multipart/form-data); each is queued like a Telegram photo and answered with its job id',
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: {
                photo: {
                  type: 'array',
                  items: { type: 'string', contentMediaType: 'application/octet-stream' },
                  description: 'One or more photo files (any field name); at most 100, each at most serve.uploadMaxMb',
                },
                languages: { type: 'string', description: 'Languages for these photos, e.g. "en,ru" (default: the config\'s)' },
                hint: { type: 'string', maxLength: 1000, description: 'What the photographer says about them, passed to the model' },
                profile: { enum: ['generic', 'adobe-stock', 'shutterstock'], description: "A stock profile (default: the config's)" },
              },
            },
          },
        },
      },
      responses: {
        202: json(ref('UploadAccepted'), 'Queued; follow each at its url'),
        400: badRequest,
        401: unauthorized,
        403: forbidden,
        413: error('A photo is larger than serve.uploadMaxMb, or more than 100 photos were sent; nothing was kept'),
        415: error('The body is not multipart/form-data'),
      },
    },
    get: {
      summary: 'Every photo phototag has recorded, newest first, filtered and paged',
      parameters: [
        query('status', 'Only photos with this status', { enum: ['queued', 'running', 'done', 'skipped', 'failed'] }),
        query('source', 'Only photos from this source', { enum: ['cli', 'scan', 'watch', 'telegram', 'api'] }),
        time('since', 'Changed at or after'),
        time('until', 'Changed before'),
        query('q', 'Words the title, description or keywords contain (each word a prefix; all required)'),
        query('limit', 'Page size (1–500, default 50)', { type: 'string', pattern: '^\\d+$' }),
        query('offset', 'Photos to skip (default 0)', { type: 'string', pattern: '^\\d+$' }),
      ],
      responses: { 200: json(ref('PhotoPage'), 'A page of photos and the total'), 400: badRequest, 401: unauthorized },
    },
  },
  '/api/photos/{id}': {
    get: {
      summary: 'One photo: status, result, fields written, errors',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
      responses: { 200: json(ref('Photo'), 'The photo'), 400: badRequest, 401: unauthorized, 404: error('No such photo') },
    },
  },
  '/api/photos/{id}/file': {
    get: {
      summary: 'The tagged file itself (metadata inside; for RAW photos the metadata is in the XMP sidecar beside it)',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
      responses: {
        200: {
          description: 'The file, as an attachment under its name',
          headers: { 'Content-Disposition': { schema: { type: 'string' } } },
          content: { 'image/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
        },
        400: badRequest,
        401: unauthorized,
        404: error('No such photo, or its file is gone (retention)'),
        409: error('Not tagged yet (queued or running) or failed'),
      },
    },
  },
  '/api/scan': {
    post: {
      summary: 'Scan a watched folder (or a folder under one) now and queue what is new or changed',
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              properties: {
                path: {
                  type: 'string',
                  description:
                    'A watched folder or one under it: absolute, or relative to the watched folder it is in. Absent: every watched folder',
                },
              },
            },
          },
        },
      },
      responses: {
        200: json(ref('ScanResult'), 'What the scan found and queued'),
        400: badRequest,
        401: unauthorized,
        403: error('The path is not inside a watched folder (`..`, links and other absolute paths are refused), or no token is configured'),
        404: error('The path does not exist in the watched folders'),
        409: error('No folder is watched'),
        413: error('The body is larger than 64 KB'),
      },
    },
  },
  '/api/openapi.json': {
    get: {
      summary: 'This document',
      responses: {
        200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } },
        401: unauthorized,
      },
    },
  },
};

schemas.Readiness = {
  type: 'object',
  required: ['status', 'checks'],
  properties: { status: { enum: ['ready', 'not ready'] }, checks: { type: 'object', additionalProperties: { type: 'string' } } },
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'phototag serve',
      version: '1',
      description:
        'The HTTP API of `phototag serve`. On loopback (the default) reading needs no token; beyond loopback every route but /healthz and / needs `Authorization: Bearer <token>`, and every state-changing route needs it everywhere.',
    },
    servers: [{ url: 'http://127.0.0.1:8787' }],
    security: [{ bearer: [] }],
    paths,
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
