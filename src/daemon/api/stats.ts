import { z } from 'zod';
import { computeStats } from '../../core/stats.js';
import type { Store } from '../../core/store.js';
import { HttpError, intParam, parseQuery, sendJson, timeParam } from './respond.js';
import type { ApiRoute } from './routes.js';

const statsQuery = z
  .object({
    since: timeParam.optional(),
    until: timeParam.optional(),
    /** Without `since`: this many days back (default 30). */
    days: intParam(1, 3660).optional(),
  })
  .strict();

const recentQuery = z.object({ limit: intParam(1, 100).default(20) }).strict();

/** `/stats` over the range asked for, and the dashboard's newest photos. */
export function statsRoutes(store: () => Store): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/stats',
      changesState: false,
      handle: ({ res, url }) => {
        const query = parseQuery(url, statsQuery);
        if (query.since !== undefined && query.until !== undefined && query.until <= query.since)
          throw new HttpError(400, 'invalid query parameter "until": must be after "since"');
        sendJson(res, 200, computeStats(store(), query));
      },
    },
    {
      method: 'GET',
      path: '/api/recent',
      changesState: false,
      handle: ({ res, url }) => sendJson(res, 200, store().reports.recent(parseQuery(url, recentQuery).limit)),
    },
  ];
}
