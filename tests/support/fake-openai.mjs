// A fake OpenAI-compatible vision server on 127.0.0.1 speaking the real wire format (chat completions
// with image_url content, /models in OpenRouter's shape). Used by the integration tests and `npm run bench`.
import http from 'node:http';
import net from 'node:net';

/**
 * @typedef {{ type: 'ok', title?: string, description?: string, keywords?: string[], hold?: Promise<unknown> }
 *   | { type: 'raw', content: string }
 *   | { type: 'fenced' } | { type: 'prose' } | { type: 'invalid' } | { type: 'malformed' } | { type: 'reasoning' }
 *   | { type: 'http', status: number, retryAfter?: string, message?: string }
 *   | { type: 'error-200', code: number, message?: string }
 *   | { type: 'hang' }
 *   | { type: 'stall' } | { type: 'reset' } | { type: 'drop' } | { type: 'huge', megabytes?: number }} Behaviour
 * hang: never answers; stall: sends 200 headers and part of the body, then nothing; reset: the same, then resets
 * the connection; drop: closes the connection without a byte; huge: a well-formed answer of `megabytes` MB.
 */

/** JPEG width and height from the first SOF marker. */
export function jpegSize(buffer) {
  let i = 2;
  while (i + 9 < buffer.length) {
    if (buffer[i] !== 0xff) return undefined;
    const marker = buffer[i + 1];
    const length = buffer.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { height: buffer.readUInt16BE(i + 5), width: buffer.readUInt16BE(i + 7) };
    }
    i += 2 + length;
  }
  return undefined;
}

const WORDS = {
  en: { title: 'Photo', description: 'A photograph of width', keywords: ['landscape', 'outdoor', 'Landscape', 'travel', 'nature'] },
  ru: { title: 'Фото', description: 'Фотография шириной', keywords: ['пейзаж', 'природа', 'Пейзаж', 'путешествие'] },
};

function languagesOf(body) {
  const required = body.response_format?.json_schema?.schema?.required;
  if (Array.isArray(required)) return required;
  const text = JSON.stringify(body.messages);
  const found = [...text.matchAll(/\\"([a-z]{2})\\" = /g)].map((m) => m[1]);
  return found.length ? found : ['en'];
}

function answerFor(body, image, behaviour) {
  const size = image ? jpegSize(image) : undefined;
  const dims = size ? `${size.width}x${size.height}` : 'unknown';
  const object = {};
  for (const lang of languagesOf(body)) {
    const words = WORDS[lang] ?? WORDS.en;
    object[lang] = {
      title: behaviour.title ?? `${words.title} ${dims}`,
      description: behaviour.description ?? `${words.description} ${dims}.`,
      keywords: behaviour.keywords ?? [...words.keywords, dims],
    };
  }
  return object;
}

/**
 * Start the fake. `script` is consumed one behaviour per chat call; when empty, `fallback` (default ok) answers.
 * @param {{ latencyMs?: number, models?: object[], script?: Behaviour[], fallback?: Behaviour | ((n: number) => Behaviour), port?: number }} [options]
 */
export async function startFakeOpenAI(options = {}) {
  const state = {
    calls:
      /** @type {{ model: string, imageBytes: number, width?: number, height?: number, responseFormat?: string, languages: string[], auth?: string, prompt?: string, temperature?: number, maxTokens?: number, at: number }[]} */ ([]),
    script: [...(options.script ?? [])],
    latencyMs: options.latencyMs ?? 0,
    fallback: options.fallback ?? { type: 'ok' },
    models: options.models ?? defaultModels(),
    /** Like a free tier: at most this many chat calls in any 60 s, else 429 with Retry-After. */
    rpmCap: options.rpmCap ?? 0,
    recent: /** @type {number[]} */ ([]),
    rejected: 0,
    modelListRequests: 0,
    /** Set to e.g. 503 to make `/models` fail. */
    modelsStatus: 200,
    inFlight: 0,
    maxInFlight: 0,
  };
  const sockets = new Set();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/_state')
      return send(res, 200, {
        // ?prompts=1: with each call's prompt text too (the bench tells the photos apart by the folder it names).
        calls: state.calls.map(({ model, imageBytes, at, prompt }) =>
          url.searchParams.has('prompts') ? { model, imageBytes, at, prompt } : { model, imageBytes, at },
        ),
        maxInFlight: state.maxInFlight,
        rejected: state.rejected,
      });
    // Ollama's own API, for provider auto-detection and `--model auto` on Ollama.
    if (req.method === 'GET' && url.pathname === '/api/tags')
      return send(res, 200, { models: [{ name: 'llama3.2:3b' }, { name: 'qwen2.5vl:7b' }] });
    if (req.method === 'POST' && url.pathname === '/api/show') {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const { model } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      return send(res, 200, { capabilities: model === 'qwen2.5vl:7b' ? ['completion', 'vision'] : ['completion'] });
    }
    if (req.method === 'GET' && url.pathname.endsWith('/models')) {
      state.modelListRequests++;
      if (state.modelsStatus !== 200)
        return send(res, state.modelsStatus, { error: { message: 'models are down', code: state.modelsStatus } });
      return send(res, 200, { data: state.models });
    }
    if (req.method !== 'POST' || !url.pathname.endsWith('/chat/completions'))
      return send(res, 404, { error: { message: 'not found', code: 404 } });
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const content = body.messages?.find((m) => Array.isArray(m.content))?.content ?? [];
    const dataUrl = content.find((c) => c.type === 'image_url')?.image_url?.url ?? '';
    const image = dataUrl.startsWith('data:image/jpeg;base64,') ? Buffer.from(dataUrl.slice(23), 'base64') : undefined;
    const size = image ? jpegSize(image) : undefined;
    const n = state.calls.length;
    const prompt = content
      .filter((c) => c.type === 'text')
      .map((c) => c.text)
      .join('\n');
    state.calls.push({
      model: body.model,
      imageBytes: image?.length ?? 0,
      width: size?.width,
      height: size?.height,
      responseFormat: body.response_format?.type,
      languages: languagesOf(body),
      auth: req.headers.authorization,
      prompt,
      temperature: body.temperature,
      maxTokens: body.max_tokens,
      at: Date.now(),
    });
    if (state.rpmCap > 0) {
      const now = Date.now();
      while (state.recent.length && state.recent[0] <= now - 60_000) state.recent.shift();
      if (state.recent.length >= state.rpmCap) {
        state.rejected++;
        const wait = Math.ceil((state.recent[0] + 60_000 - now) / 1000);
        return send(
          res,
          429,
          { error: { message: 'Rate limit exceeded: free-models-per-min', code: 429 } },
          { 'retry-after': String(wait) },
        );
      }
      state.recent.push(now);
    }
    const behaviour = state.script.shift() ?? (typeof state.fallback === 'function' ? state.fallback(n) : state.fallback);
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      if (behaviour.type === 'hang') {
        await new Promise((resolve) => req.socket.once('close', resolve));
        return;
      }
      if (behaviour.type === 'drop') return void req.socket.destroy();
      if (behaviour.type === 'stall' || behaviour.type === 'reset') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        res.write('{"id": "chatcmpl-partial", "object": "chat.completion", "choices": [');
        if (behaviour.type === 'reset') setTimeout(() => req.socket.resetAndDestroy(), 100);
        await new Promise((resolve) => req.socket.once('close', resolve));
        return;
      }
      if (behaviour.type === 'huge') {
        // Streamed in 1 MB pieces without a length, like a runaway model: the client must stop reading.
        res.writeHead(200, { 'content-type': 'application/json' });
        const piece = 'x'.repeat(1 << 20);
        res.write(
          '{"id": "chatcmpl-huge", "object": "chat.completion", "model": "fake/vision", "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "',
        );
        const closed = new Promise((resolve) => req.socket.once('close', resolve));
        for (let i = 0; i < (behaviour.megabytes ?? 300) && !req.socket.destroyed; i++) {
          if (!res.write(piece)) await Promise.race([new Promise((resolve) => res.once('drain', resolve)), closed]);
        }
        if (!req.socket.destroyed) res.end('"}}]}');
        return;
      }
      if (state.latencyMs) await new Promise((r) => setTimeout(r, state.latencyMs));
      // A test holds the answer back until it has done something "while the model thinks".
      if (behaviour.hold) await behaviour.hold;
      if (behaviour.type === 'http') {
        const headers = behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {};
        return send(
          res,
          behaviour.status,
          { error: { message: behaviour.message ?? `fake error ${behaviour.status}`, code: behaviour.status } },
          headers,
        );
      }
      if (behaviour.type === 'error-200')
        return send(res, 200, { error: { message: behaviour.message ?? 'Provider returned error', code: behaviour.code } });
      const object = answerFor(body, image, behaviour);
      const json = JSON.stringify(object);
      const text =
        behaviour.type === 'fenced'
          ? `Here you go:\n\`\`\`json\n${JSON.stringify(object, null, 2)}\n\`\`\``
          : behaviour.type === 'prose'
            ? `Sure! The metadata is ${json} — hope that helps.`
            : behaviour.type === 'reasoning'
              ? `<think>Let me think about {the photo}.</think>${json}`
              : behaviour.type === 'invalid'
                ? JSON.stringify({ en: { title: '', keywords: 'x' } })
                : behaviour.type === 'malformed'
                  ? '{"en": {"title": "Broken", "description": '
                  : behaviour.type === 'raw'
                    ? behaviour.content
                    : json;
      return send(res, 200, {
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model === 'auto' ? 'fake/vision' : body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 800, completion_tokens: 120, total_tokens: 920 },
      });
    } finally {
      state.inFlight--;
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    state,
    /** Queue behaviours for the next calls. */
    push(...behaviours) {
      state.script.push(...behaviours);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A port that accepts every connection and closes it at once (a container proxy while the container is down). */
export async function startDroppingPort(port = 0) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.destroy();
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    port: address.port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound once to learn a free number, then closed). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function defaultModels() {
  const model = (id, prompt, completion, inputs = ['text', 'image']) => ({
    id,
    name: id,
    context_length: 32768,
    architecture: { input_modalities: inputs, output_modalities: ['text'], modality: `${inputs.join('+')}->text` },
    pricing: { prompt: String(prompt), completion: String(completion) },
    supported_parameters: ['max_tokens', 'temperature', 'response_format', 'structured_outputs'],
  });
  return [
    model('paid/vision-pro', 0.000002, 0.000008),
    model('free/vision-a:free', 0, 0),
    model('free/vision-b:free', 0, 0),
    model('free/text-only:free', 0, 0, ['text']),
  ];
}

// `node fake-openai.mjs [latencyMs] [rpmCap]`: run it as a separate process (the bench does, so its work is not ours).
if (import.meta.url === `file://${process.argv[1]}`) {
  const fake = await startFakeOpenAI({ latencyMs: Number(process.argv[2] ?? 0), rpmCap: Number(process.argv[3] ?? 0) });
  process.stdout.write(`${fake.url}\n`);
}
