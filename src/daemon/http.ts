import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { FatalError } from '../core/errors.js';
import type { Logger } from './log.js';
import { dashboardHtml } from './dashboard.js';
import { HttpError } from './api/respond.js';
import { knownPath, matchRoute, type ApiRoute } from './api/routes.js';

export interface HttpHandlers {
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** The dashboard's view of the daemon: each part's health, the model in use, the breaker, photos in progress. */
  status(): Promise<unknown>;
  metrics(): Promise<string>;
  retry(filter: { paths?: string[]; kind?: string }): number;
  /** The JSON API's routes (src/daemon/api/): stats, photos, scan, the OpenAPI document. */
  routes: ApiRoute[];
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/u;

/** `POST /api/retry`: which failed photos to queue again; `{}` means all of them. Anything else is a 400. */
const retryBody = z
  .object({
    paths: z.array(z.string().min(1)).min(1).max(100_000).optional(),
    kind: z
      .string()
      .regex(/^[a-z-]{1,40}$/u)
      .optional(),
  })
  .strict();

const MAX_BODY = 1 << 20;

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The daemon's HTTP face (node:http): health, readiness, stats, metrics, the dashboard and one authenticated action. */
export class HttpEndpoint {
  private server?: http.Server;
  /** Bound to loopback: data routes are open to this machine; beyond it every route but /healthz needs the token. */
  private readonly loopback: boolean;
  private port = 0;

  constructor(
    private readonly options: { host: string; port: number; token?: string },
    readonly handlers: HttpHandlers,
    private readonly log: Logger,
  ) {
    this.loopback = LOOPBACK.test(options.host);
    if (!this.loopback && !options.token) {
      throw new FatalError(
        `Refusing to listen on ${options.host} without a token: set serve.tokenFile (or --token-file), or bind 127.0.0.1`,
      );
    }
  }

  async start(): Promise<AddressInfo> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.log.error('http handler failed', { path: req.url, error: (error as Error).message });
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new FatalError(`Cannot listen on ${this.options.host}:${this.options.port}: ${error.code ?? error.message}`)),
      );
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.port = address.port;
    this.log.info('http endpoint listening', {
      url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/`,
    });
    return address;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    // DNS rebinding: a web page on evil.example whose name now points at 127.0.0.1 must not read the data.
    if (this.loopback && !this.knownHost(req.headers.host))
      return send(res, 421, { error: 'unexpected Host header: use http://127.0.0.1 or http://localhost with the port' });
    // Beyond loopback every route but /healthz needs the token; the dashboard page itself holds no data and asks for it.
    const open = route === 'GET /healthz' || route === 'GET /';
    if (!this.loopback && !open && !this.authorized(req)) return send(res, 401, { error: 'a valid bearer token is required' });
    const api = matchRoute(this.handlers.routes, req.method, url.pathname);
    if (api) return this.serveApi(api.route, req, res, url, api.params);
    switch (route) {
      case 'GET /healthz':
        return send(res, 200, { status: 'ok' });
      case 'GET /readyz': {
        const ready = await this.handlers.ready();
        return send(res, ready.ok ? 200 : 503, { status: ready.ok ? 'ready' : 'not ready', checks: ready.checks });
      }
      case 'GET /metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(await this.handlers.metrics());
      case 'GET /':
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
        });
        return void res.end(dashboardHtml({ tokenEverywhere: !this.loopback, retry: this.options.token !== undefined }));
      case 'GET /api/status':
        return send(res, 200, await this.handlers.status());
      case 'POST /api/retry': {
        if (!this.authorized(req)) return this.refuseChange(res);
        let body: z.infer<typeof retryBody>;
        try {
          body = await readBody(req);
        } catch (error) {
          if (error instanceof BadRequest) return send(res, error.status, { error: error.message });
          throw error;
        }
        const requeued = this.handlers.retry({ paths: body.paths, kind: body.kind });
        this.log.info('retry requested over http', { requeued });
        return send(res, 200, { requeued });
      }
      default:
        return send(
          res,
          url.pathname.startsWith('/api/') ||
            ['/healthz', '/readyz', '/metrics', '/'].includes(url.pathname) ||
            knownPath(this.handlers.routes, url.pathname)
            ? 405
            : 404,
          { error: `no ${route}` },
        );
    }
  }

  /** A route of the JSON API; one that changes state needs the token even on loopback. Its refusals are JSON. */
  private async serveApi(
    route: ApiRoute,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    params: Record<string, string>,
  ): Promise<void> {
    if (route.changesState && !this.authorized(req)) {
      req.resume(); // an upload's body is dropped, so the client hears the answer
      return this.refuseChange(res);
    }
    try {
      await route.handle({ req, res, url, params });
    } catch (error) {
      if (!(error instanceof HttpError) || res.headersSent) throw error;
      const { close, ...extra } = error.extra;
      if (close) res.setHeader('connection', 'close');
      send(res, error.status, { error: error.message, ...extra });
    }
  }

  private refuseChange(res: http.ServerResponse): void {
    send(res, this.options.token ? 401 : 403, {
      error: this.options.token
        ? 'a valid bearer token is required'
        : 'no token is configured (serve.tokenFile): state-changing requests are disabled',
    });
  }

  /** The Host a browser sends for this server: localhost, 127.0.0.1 or [::1] (or the bound address) with our port. */
  private knownHost(host: string | undefined): boolean {
    if (!host) return false;
    const names = new Set([
      'localhost',
      '127.0.0.1',
      '[::1]',
      this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host,
    ]);
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/u.exec(host.toLowerCase());
    return match !== null && names.has(match[1]!) && (match[2] === undefined ? this.port === 80 : Number(match[2]) === this.port);
  }

  private authorized(req: http.IncomingMessage): boolean {
    const token = this.options.token;
    const given = /^Bearer (.+)$/u.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

/** The request body as the retry schema wants it; a body that is not that (truncated, wrong types, too big) is a 400/413. */
async function readBody(req: http.IncomingMessage): Promise<z.infer<typeof retryBody>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BadRequest(413, 'the request body is larger than 1 MB');
    chunks.push(chunk as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest(400, 'the body must be JSON: {} (all failed photos), {"paths": ["…"]} or {"kind": "transient"}');
  }
  const parsed = retryBody.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadRequest(400, `invalid body: ${issue.path.length ? `"${issue.path.join('.')}" ` : ''}${issue.message}`);
  }
  return parsed.data;
}
