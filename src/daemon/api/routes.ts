import type http from 'node:http';

export interface ApiContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  /** The path's `{name}` parts, as given. */
  params: Record<string, string>;
}

/** One route of the API, in the spelling of the OpenAPI document (`/api/photos/{id}`). */
export interface ApiRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Changes state: needs the token even on loopback (and is refused when no token is configured). */
  changesState: boolean;
  handle: (ctx: ApiContext) => Promise<void> | void;
}

/** The route (and its path parameters) that answers this method and path, if any. */
export function matchRoute(routes: readonly ApiRoute[], method: string | undefined, pathname: string) {
  for (const route of routes) {
    if (route.method !== method) continue;
    const names: string[] = [];
    const pattern = route.path.replace(/[.*+?^$()|[\]\\]/gu, '\\$&').replace(/\{(\w+)\}/gu, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const match = new RegExp(`^${pattern}$`, 'u').exec(pathname);
    if (match) return { route, params: Object.fromEntries(names.map((name, i) => [name, safeDecode(match[i + 1]!)])) };
  }
  return undefined;
}

/** Whether some route answers this path with another method (a 405 rather than a 404). */
export function knownPath(routes: readonly ApiRoute[], pathname: string): boolean {
  return ['GET', 'POST'].some((method) => matchRoute(routes, method, pathname) !== undefined);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: the handler's validation refuses it
  }
}
