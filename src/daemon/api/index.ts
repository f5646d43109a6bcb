import type { Store } from '../../core/store.js';
import type { Logger } from '../log.js';
import { openApiDocument } from './openapi.js';
import { photoRoutes, type PhotoApiDeps } from './photos.js';
import { sendJson } from './respond.js';
import type { ApiRoute } from './routes.js';
import { scanRoutes, type ScanDeps } from './scan.js';
import { statsRoutes } from './stats.js';

export interface ApiDeps {
  store: () => Store;
  uploads: PhotoApiDeps['uploads'];
  enqueueUploads: PhotoApiDeps['enqueue'];
  watched: string[];
  ownFolders: string[];
  enqueueScan: ScanDeps['enqueue'];
  log: Logger;
}

/** Every route of the daemon's JSON API; `GET /api/openapi.json` describes them (and the page, health and metrics routes). */
export function apiRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    ...statsRoutes(deps.store),
    ...photoRoutes({ store: deps.store, uploads: deps.uploads, enqueue: deps.enqueueUploads, log: deps.log }),
    ...scanRoutes({ watched: deps.watched, ownFolders: deps.ownFolders, enqueue: deps.enqueueScan, log: deps.log }),
    { method: 'GET', path: '/api/openapi.json', changesState: false, handle: ({ res }) => sendJson(res, 200, openApiDocument()) },
  ];
}
