/** The dashboard: one self-contained page that reads /stats and /api/recent; retry asks for the token once. */
export const DASHBOARD_HTML = `<!doctype html>
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
  .days { display: flex; align-items: flex-end; gap: 3px; height: 80px; background: #fff; border: 1px solid #ddd; padding: 6px; border-radius: 6px; }
  .day { flex: 1; background: #4a8; min-height: 1px; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  td, th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
  .kw { color: #666; font-size: 12px; } .err { color: #a33; }
  button { cursor: pointer; } #message { color: #a33; }
</style>
</head>
<body>
<h1>phototag</h1>
<div class="counters">
  <div class="counter">done<b id="done">–</b></div>
  <div class="counter">skipped<b id="skipped">–</b></div>
  <div class="counter">failed<b id="failed">–</b></div>
  <div class="counter">queued<b id="queued">–</b></div>
  <div class="counter">from cache<b id="cacheHits">–</b></div>
  <div class="counter">cost<b id="cost">–</b></div>
</div>
<h2>Photos per day</h2>
<div class="days" id="days"></div>
<h2>Newest photos</h2>
<table><tbody id="recent"></tbody></table>
<h2>Failed photos</h2>
<p id="message"></p>
<table><tbody id="failures"></tbody></table>
<script>
const el = (id) => document.getElementById(id);
const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; };
async function refresh() {
  const stats = await (await fetch('/stats')).json();
  for (const key of ['done', 'skipped', 'failed', 'queued', 'cacheHits']) el(key).textContent = stats.totals[key];
  el('cost').textContent = '$' + stats.totals.cost.toFixed(4);
  const days = stats.perDay.slice(-30);
  const most = Math.max(1, ...days.map((d) => d.done + d.failed + d.skipped));
  el('days').replaceChildren(...days.map((d) => { const bar = document.createElement('div'); bar.className = 'day'; bar.title = d.day + ': ' + d.done + ' done'; bar.style.height = Math.round(((d.done + d.failed + d.skipped) / most) * 100) + '%'; return bar; }));
  const recent = await (await fetch('/api/recent')).json();
  el('recent').replaceChildren(...recent.done.map((p) => { const tr = document.createElement('tr'); tr.className = 'photo'; tr.append(cell(p.path), cell(p.title || ''), cell(p.keywords.join(', '), 'kw')); return tr; }));
  el('failures').replaceChildren(...recent.failed.map((p) => {
    const tr = document.createElement('tr'); tr.className = 'failure';
    const button = document.createElement('button'); button.textContent = 'Retry'; button.className = 'retry';
    button.onclick = () => retry(p.path);
    const td = document.createElement('td'); td.append(button);
    tr.append(cell(p.path), cell(p.kind || '', 'err'), cell(p.error || '', 'err'), td); return tr;
  }));
}
async function retry(path) {
  let token = localStorage.getItem('phototag-token');
  if (!token) { token = prompt('Token for phototag (serve.tokenFile)'); if (!token) return; localStorage.setItem('phototag-token', token); }
  const res = await fetch('/api/retry', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify({ paths: [path] }) });
  if (res.status === 401) localStorage.removeItem('phototag-token');
  el('message').textContent = res.ok ? '' : (await res.json()).error;
  await refresh();
}
refresh();
setInterval(refresh, 10000);
</script>
</body>
</html>
`;
