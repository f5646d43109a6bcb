// A fake Telegram Bot API on 127.0.0.1: getMe, getUpdates (long poll), getFile, file download, sendMessage,
// editMessageText, sendDocument (multipart), answerCallbackQuery, deleteWebhook. It records every call.
import http from 'node:http';

/** `options.port`: listen there (a test that starts the daemon before Telegram is reachable). */
export async function startFakeTelegram(token, options = {}) {
  const state = {
    /** Every call: { method, body } (sendDocument's body has the uploaded file as `document: { name, bytes }`). */
    calls: [],
    updates: [],
    files: new Map(),
    nextUpdate: 1,
    nextMessage: 100,
    /** Methods to answer once with 429 Too Many Requests and this retry_after (seconds). */
    tooMany: new Map(),
    /** getUpdates calls (long polls are not listed in `calls`). */
    polls: 0,
  };
  const waiting = new Set();
  const wake = () => {
    for (const resolve of waiting) resolve();
    waiting.clear();
    // Webhook mode: post new updates to the bot's own server (the test tells us where it listens).
    if (state.webhook && state.webhookLocal) {
      for (const update of state.updates.splice(0)) {
        void fetch(state.webhookLocal, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': state.webhook.secret ?? '' },
          body: JSON.stringify(update),
        });
      }
    }
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks);
    const fileMatch = url.pathname.match(/^\/file\/bot([^/]+)\/(.+)$/);
    if (fileMatch) {
      const bytes = fileMatch[1] === token ? state.files.get(fileMatch[2]) : undefined;
      state.calls.push({ method: 'download', body: { path: fileMatch[2] } });
      if (!bytes) return send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(bytes);
    }
    const match = url.pathname.match(/^\/bot([^/]+)\/(\w+)$/);
    if (!match || match[1] !== token) return send(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = match[2];
    let body = {};
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://x', { method: 'POST', headers: { 'content-type': type }, body: raw }).formData();
      for (const [key, value] of form.entries()) {
        body[key] = typeof value === 'string' ? value : { name: value.name, bytes: Buffer.from(await value.arrayBuffer()) };
      }
    } else if (raw.length) {
      body = JSON.parse(raw.toString('utf8'));
    }
    if (method !== 'getUpdates') state.calls.push({ method, body });
    if (state.tooMany.has(method)) {
      const retryAfter = state.tooMany.get(method);
      state.tooMany.delete(method);
      return send(res, 429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${retryAfter}`,
        parameters: { retry_after: retryAfter },
      });
    }
    const message = (extra) => ({
      message_id: state.nextMessage++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: Number(body.chat_id), type: 'private' },
      ...extra,
    });
    switch (method) {
      case 'getMe':
        return ok(res, { id: 999, is_bot: true, first_name: 'phototag', username: 'phototag_test_bot' });
      case 'setWebhook':
        state.webhook = { url: body.url, secret: body.secret_token };
        return ok(res, true);
      case 'deleteWebhook':
      case 'answerCallbackQuery':
        return ok(res, true);
      case 'getUpdates': {
        state.polls++;
        const offset = Number(body.offset ?? 0);
        const pending = () => state.updates.filter((u) => u.update_id >= offset);
        if (pending().length === 0) {
          await new Promise((resolve) => {
            waiting.add(resolve);
            setTimeout(resolve, Math.min(1000, Number(body.timeout ?? 0) * 1000));
          });
        }
        state.updates = state.updates.filter((u) => u.update_id >= offset);
        return ok(res, pending());
      }
      case 'getFile': {
        const path = `documents/${body.file_id}`;
        return ok(res, { file_id: body.file_id, file_unique_id: body.file_id, file_size: state.files.get(path)?.length, file_path: path });
      }
      case 'sendMessage': {
        const sent = message({ text: body.text });
        state.calls.at(-1).result = sent;
        return ok(res, sent);
      }
      case 'editMessageText':
        return ok(res, message({ message_id: Number(body.message_id), text: body.text }));
      case 'sendDocument':
        return ok(res, message({ document: { file_id: 'sent', file_name: body.document?.name } }));
      default:
        return send(res, 404, { ok: false, error_code: 404, description: `Not Found: method ${method}` });
    }
  });
  await new Promise((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    state,
    /** A user sends a file as a document (or, with `photo: true`, as a compressed photo). */
    send({ from, fileId, name, bytes, mime = 'image/jpeg', caption, photo = false, size, chatType = 'private' }) {
      if (bytes) state.files.set(`documents/${fileId}`, bytes);
      const user = { id: from, is_bot: false, first_name: `user${from}`, language_code: 'en' };
      const content = photo
        ? { photo: [{ file_id: fileId, file_unique_id: fileId, width: 100, height: 100, file_size: size ?? bytes?.length }] }
        : { document: { file_id: fileId, file_unique_id: fileId, file_name: name, mime_type: mime, file_size: size ?? bytes?.length } };
      const chat = chatType === 'private' ? { id: from, type: 'private' } : { id: -100 - from, type: chatType, title: 'a group' };
      state.updates.push({
        update_id: state.nextUpdate++,
        message: { message_id: state.nextMessage++, date: Math.floor(Date.now() / 1000), chat, from: user, caption, ...content },
      });
      wake();
    },
    /** The user taps an inline button carrying `data`. */
    press(from, data) {
      const user = { id: from, is_bot: false, first_name: `user${from}`, language_code: 'en' };
      state.updates.push({
        update_id: state.nextUpdate++,
        callback_query: {
          id: String(state.nextUpdate),
          from: user,
          chat_instance: '1',
          data,
          message: { message_id: state.nextMessage++, date: Math.floor(Date.now() / 1000), chat: { id: from, type: 'private' }, text: '…' },
        },
      });
      wake();
    },
    text(from, text, replyTo) {
      const user = { id: from, is_bot: false, first_name: `user${from}`, language_code: 'en' };
      const entities = text.startsWith('/') ? [{ type: 'bot_command', offset: 0, length: text.split(' ')[0].length }] : undefined;
      const reply =
        replyTo === undefined ? {} : { reply_to_message: { message_id: replyTo, date: 0, chat: { id: from, type: 'private' }, text: '…' } };
      state.updates.push({
        update_id: state.nextUpdate++,
        message: {
          message_id: state.nextMessage++,
          date: Math.floor(Date.now() / 1000),
          chat: { id: from, type: 'private' },
          from: user,
          text,
          entities,
          ...reply,
        },
      });
      wake();
    },
    async close() {
      wake();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function ok(res, result) {
  send(res, 200, { ok: true, result });
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
