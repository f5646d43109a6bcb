/** The most of a provider's answer phototag reads into memory: a metadata answer is a few KB. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** The provider sent more than `MAX_RESPONSE_BYTES`: the read was stopped, nothing of it is used. */
export class ResponseTooLargeError extends Error {
  readonly code = 'PHOTOTAG_RESPONSE_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`the provider's answer is larger than ${Math.round(limit / 1024)} KB; it was not read`);
    this.name = 'ResponseTooLargeError';
  }
}

/** The whole answer, body included, did not arrive within the deadline. */
export class ResponseTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly ms: number) {
    super(`no complete answer within ${Math.round(ms / 1000)} s (timed out)`);
    this.name = 'TimeoutError';
  }
}

export interface BoundedFetchOptions {
  /** Deadline for the whole exchange: connection, headers and body. */
  timeoutMs: number;
  maxBytes?: number;
}

/**
 * `fetch` that returns only once the whole body is in memory, so a caller's deadline around it covers the body
 * too (a server that sends headers and then stalls is cut off), and that stops reading past `maxBytes`.
 * The deadline is an ordinary timer on purpose: while it runs the process stays alive (undici can leave a fetch
 * to a port that drops the connection unsettled with nothing keeping the event loop up, and node exits 0).
 */
export function boundedFetch(options: BoundedFetchOptions): typeof fetch {
  const maxBytes = options.maxBytes ?? MAX_RESPONSE_BYTES;
  return async (input, init) => {
    const controller = new AbortController();
    const outer = init?.signal;
    const forward = () => controller.abort(outer?.reason);
    if (outer?.aborted) forward();
    else outer?.addEventListener('abort', forward, { once: true });
    const timer = setTimeout(() => controller.abort(new ResponseTimeoutError(options.timeoutMs)), options.timeoutMs);
    try {
      const response = await fetch(input, { ...init, signal: controller.signal });
      const body = await readCapped(response, maxBytes, controller);
      const empty = response.status === 204 || response.status === 205 || response.status === 304;
      return new Response(empty ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      // Report why the request was cut off (our deadline, the size cap) rather than undici's generic abort.
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && (reason instanceof ResponseTimeoutError || reason instanceof ResponseTooLargeError)) throw reason;
      throw error;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', forward);
    }
  };
}

async function readCapped(response: Response, maxBytes: number, controller: AbortController): Promise<ArrayBuffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    controller.abort(new ResponseTooLargeError(maxBytes));
    throw new ResponseTooLargeError(maxBytes);
  }
  if (!response.body) return new ArrayBuffer(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      controller.abort(new ResponseTooLargeError(maxBytes));
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  const body = new ArrayBuffer(size);
  const view = new Uint8Array(body);
  let offset = 0;
  for (const chunk of chunks) {
    view.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
