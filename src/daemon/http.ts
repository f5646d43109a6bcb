import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FatalError } from '../core/errors.js';
import type { Logger } from './log.js';
import { DASHBOARD_HTML } from './dashboard.js';

export interface HttpHandlers {
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
  stats(): unknown;
  metrics(): Promise<string>;
  recent(): unknown;
  retry(filter: { paths?: string[]; kind?: string }): number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/u;

/** The daemon's HTTP face (node:http): health, readiness, stats, metrics, the dashboard and one authenticated action. */
export class HttpEndpoint {
  private server?: http.Server;

  constructor(
    private readonly options: { host: string; port: number; token?: string },
    private readonly handlers: HttpHandlers,
    private readonly log: Logger,
  ) {
    if (!LOOPBACK.test(options.host) && !options.token) {
      throw new FatalError(`Refusing to listen on ${options.host} without a token: set serve.tokenFile (or --token-file), or bind 127.0.0.1`);
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
      server.once('error', (error: NodeJS.ErrnoException) => reject(new FatalError(`Cannot listen on ${this.options.host}:${this.options.port}: ${error.code ?? error.message}`)));
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.log.info('http endpoint listening', { url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/` });
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
    switch (route) {
      case 'GET /healthz':
        return send(res, 200, { status: 'ok' });
      case 'GET /readyz': {
        const ready = await this.handlers.ready();
        return send(res, ready.ok ? 200 : 503, { status: ready.ok ? 'ready' : 'not ready', checks: ready.checks });
      }
      case 'GET /stats':
        return send(res, 200, this.handlers.stats());
      case 'GET /metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(await this.handlers.metrics());
      case 'GET /':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'", 'x-content-type-options': 'nosniff' });
        return void res.end(DASHBOARD_HTML);
      case 'GET /api/recent':
        return send(res, 200, this.handlers.recent());
      case 'POST /api/retry': {
        if (!this.authorized(req)) return send(res, this.options.token ? 401 : 403, { error: this.options.token ? 'a valid bearer token is required' : 'no token is configured (serve.tokenFile): state-changing requests are disabled' });
        const body = await readJson(req);
        const paths = Array.isArray(body.paths) ? body.paths.filter((p): p is string => typeof p === 'string') : undefined;
        const requeued = this.handlers.retry({ paths: paths?.length ? paths : undefined, kind: typeof body.kind === 'string' ? body.kind : undefined });
        this.log.info('retry requested over http', { requeued });
        return send(res, 200, { requeued });
      }
      default:
        return send(res, url.pathname.startsWith('/api/') || ['/healthz', '/readyz', '/stats', '/metrics', '/'].includes(url.pathname) ? 405 : 404, { error: `no ${route}` });
    }
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

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1 << 20) return {};
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
