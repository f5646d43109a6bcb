/**
 * The dashboard: one self-contained page (no framework, no external assets) that reads /api/status (each part's
 * health, the model in use, the circuit breaker, photos in progress), /stats and /api/recent. It asks for the token once (kept in
 * sessionStorage, sent as a bearer header): for Retry, and for everything when the daemon listens beyond loopback.
 * Without a configured token there is no Retry button (the server would refuse it).
 */
export function dashboardHtml(options: { tokenEverywhere: boolean; retry: boolean }): string {
  return PAGE.replace('<body>', `<body data-token-everywhere="${String(options.tokenEverywhere)}" data-retry="${String(options.retry)}">`);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>phototag</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; } h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
  .counters { display: flex; gap: 1rem; flex-wrap: wrap; }
  .counter { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .6rem 1rem; min-width: 6rem; }
  .counter b { display: block; font-size: 1.4rem; }
  .chart { background: #fff; border: 1px solid #ddd; padding: 6px; border-radius: 6px; }
  .days, .labels { display: flex; gap: 3px; }
  .days { align-items: flex-end; height: 80px; }
  .day { flex: 1 1 0; min-width: 0; background: #4a8; min-height: 1px; }
  .labels span { flex: 1 1 0; min-width: 0; font-size: 11px; color: #666; text-align: center; white-space: nowrap; overflow: visible; }
  #health { list-style: none; padding: 0; margin: 0; display: grid; gap: .3rem; }
  #health li { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .35rem .6rem; }
  #health li::before { content: '●'; margin-right: .4rem; }
  #health li.ok::before { color: #2a2; } #health li.failing::before { color: #c22; }
  #health li.failing { border-color: #e99; } .detail { color: #555; }
  #model { font-weight: 600; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  td, th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
  .kw { color: #666; font-size: 12px; } .err { color: #a33; }
  button { cursor: pointer; } #message { color: #a33; }
</style>
</head>
<body>
<h1>phototag</h1>
<p>Model in use: <span id="model">–</span> <span id="provider" class="detail"></span></p>
<h2>Health</h2>
<ul id="health"></ul>
<h2>In progress</h2>
<p id="idle" hidden>No photo is being tagged right now.</p>
<table><tbody id="progress"></tbody></table>
<h2>Totals</h2>
<div class="counters">
  <div class="counter">done<b id="done">–</b></div>
  <div class="counter">skipped<b id="skipped">–</b></div>
  <div class="counter">failed<b id="failed">–</b></div>
  <div class="counter">queued<b id="queued">–</b></div>
  <div class="counter">from cache<b id="cacheHits">–</b></div>
  <div class="counter">cost<b id="cost">–</b></div>
</div>
<h2>Photos per day</h2>
<div class="chart"><div class="days" id="days"></div><div class="labels" id="dayLabels"></div></div>
<h2>Newest photos</h2>
<table><tbody id="recent"></tbody></table>
<h2>Failed photos</h2>
<p id="message"></p>
<table><tbody id="failures"></tbody></table>
<script>
const el = (id) => document.getElementById(id);
const tokenEverywhere = document.body.dataset.tokenEverywhere === 'true';
const retryEnabled = document.body.dataset.retry === 'true';
const KEY = 'phototag-token';
function token() {
  let value = sessionStorage.getItem(KEY);
  if (!value) { value = prompt('Token for phototag (serve.tokenFile)'); if (!value) return undefined; sessionStorage.setItem(KEY, value); }
  return value;
}
async function api(path, init = {}, needsToken = tokenEverywhere) {
  const headers = { ...(init.headers || {}) };
  if (needsToken) { const value = token(); if (!value) throw new Error('a token is needed'); headers.authorization = 'Bearer ' + value; }
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) { sessionStorage.removeItem(KEY); throw new Error((await res.json()).error); }
  return res;
}
const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; };
async function refresh() {
  try { await show(); } catch (error) { el('message').textContent = error.message; }
}
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const dayName = (day) => MONTHS[Number(day.slice(5, 7)) - 1] + ' ' + Number(day.slice(8, 10));
const time = (ms) => new Date(ms).toLocaleTimeString();
async function showStatus() {
  const status = await (await api('/api/status')).json();
  el('model').textContent = status.model || 'none yet';
  el('provider').textContent = '(' + status.provider + ')';
  const paused = status.paused.map((p) => (p.model === 'provider' ? 'provider unreachable' : p.model + ' paused') + ' until ' + time(p.until));
  el('health').replaceChildren(...status.parts.map((part) => {
    const li = document.createElement('li');
    li.className = 'part ' + (part.ok ? 'ok' : 'failing');
    const name = document.createElement('b'); name.textContent = part.name + (part.folder ? ' ' + part.folder : '');
    const detail = document.createElement('span'); detail.className = 'detail';
    detail.textContent = ': ' + (part.ok ? '' : 'failing: ') + part.detail + (part.name === 'provider' && paused.length ? ' — ' + paused.join(', ') : '');
    li.append(name, detail); return li;
  }));
  el('idle').hidden = status.inProgress.length > 0;
  el('progress').replaceChildren(...status.inProgress.map((p) => { const tr = document.createElement('tr'); tr.className = 'progress'; tr.append(cell(p.name), cell(p.stage), cell(p.seconds + ' s')); tr.title = p.file; return tr; }));
}
async function show() {
  await showStatus();
  const stats = await (await api('/stats')).json();
  for (const key of ['done', 'skipped', 'failed', 'queued', 'cacheHits']) el(key).textContent = stats.totals[key];
  el('cost').textContent = '$' + stats.totals.cost.toFixed(4);
  const days = stats.perDay.slice(-30);
  const most = Math.max(1, ...days.map((d) => d.done + d.failed + d.skipped));
  el('days').replaceChildren(...days.map((d) => { const bar = document.createElement('div'); bar.className = 'day'; bar.title = dayName(d.day) + ': ' + d.done + ' done, ' + d.failed + ' failed, ' + d.skipped + ' skipped'; bar.style.height = Math.round(((d.done + d.failed + d.skipped) / most) * 100) + '%'; return bar; }));
  // A label every few days, counted back from today so today always has one.
  const every = Math.max(1, Math.ceil(days.length / 6));
  el('dayLabels').replaceChildren(...days.map((d, i) => { const label = document.createElement('span'); label.className = 'day-label'; label.textContent = (days.length - 1 - i) % every === 0 ? dayName(d.day) : ''; return label; }));
  const recent = await (await api('/api/recent')).json();
  el('recent').replaceChildren(...recent.done.map((p) => { const tr = document.createElement('tr'); tr.className = 'photo'; tr.append(cell(p.path), cell(p.title || ''), cell(p.keywords.join(', '), 'kw')); return tr; }));
  el('failures').replaceChildren(...recent.failed.map((p) => {
    const tr = document.createElement('tr'); tr.className = 'failure';
    const td = document.createElement('td');
    if (retryEnabled) { const button = document.createElement('button'); button.textContent = 'Retry'; button.className = 'retry'; button.onclick = () => retry(p.path); td.append(button); }
    tr.append(cell(p.path), cell(p.kind || '', 'err'), cell(p.error || '', 'err'), td); return tr;
  }));
}
async function retry(path) {
  try {
    const res = await api('/api/retry', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paths: [path] }) }, true);
    el('message').textContent = res.ok ? '' : (await res.json()).error;
  } catch (error) { el('message').textContent = error.message; }
  await refresh();
}
refresh();
setInterval(refresh, 10000);
</script>
</body>
</html>
`;
