import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/corpus.js';
import { startFakeOpenAI } from '../support/fake-openai.mjs';
import { families } from '../support/metrics.js';
import { startServe } from '../support/serve.js';

const MONITORING = path.join(ROOT, 'install/monitoring');
const RULES = path.join(MONITORING, 'phototag-alerts.yml');
const RULE_TESTS = path.join(MONITORING, 'phototag-alerts.test.yml');
const DASHBOARD = path.join(MONITORING, 'grafana-dashboard.json');

type Panel = { id: number; type: string; title: string; targets?: { expr: string; refId: string }[] };
type Fake = Awaited<ReturnType<typeof startFakeOpenAI>>;
let fake: Fake;
let dir: string;
/** The metric families a running `phototag serve` declares at /metrics, with their types. */
let scraped: Map<string, string>;

function promtool(...args: string[]): { status: number | null; out: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8', cwd: MONITORING });
  if (run.error)
    throw new Error(`promtool is needed for this test (Debian: apt-get install prometheus; .ci/run installs it): ${run.error.message}`);
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

/** Every phototag metric a text names; a histogram's series (`_bucket`, `_sum`, `_count`) are named by their family. */
function metricNames(text: string): string[] {
  return [...new Set([...text.matchAll(/\bphototag_[a-z0-9_]+/gu)].map((m) => m[0]))];
}
function family(name: string): string {
  const base = name.replace(/_(bucket|sum|count)$/u, '');
  return base !== name && ['histogram', 'summary'].includes(scraped.get(base) ?? '') ? base : name;
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  dir = tempDir('phototag-monitoring-');
  const served = await startServe(['--provider', 'openai', '--base-url', fake.url, '--model', 'fake/vision', '--rpm', '0'], {
    HOME: dir,
    PHOTOTAG_DATA_DIR: path.join(dir, 'data'),
    PHOTOTAG_API_KEY: 'sk-monitoring',
  });
  try {
    scraped = families(await (await fetch(new URL('/metrics', served.url))).text());
  } finally {
    served.child.kill('SIGTERM');
    await served.exit;
  }
});
afterAll(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('install/monitoring: the Prometheus alert rules', () => {
  it('are valid rules (promtool check rules)', () => {
    const check = promtool('check', 'rules', RULES);
    expect(check.out).toContain('SUCCESS: 7 rules found');
    expect(check.status).toBe(0);
  });

  it('fire when they should and stay quiet when they should not (promtool test rules)', () => {
    const test = promtool('test', 'rules', RULE_TESTS);
    expect(test.out).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });

  it('use only metrics a running phototag serve exports, and every rule has a unit test', () => {
    const text = fs.readFileSync(RULES, 'utf8');
    const names = metricNames(text);
    expect(names.length).toBeGreaterThan(8);
    for (const name of names) expect(scraped.has(family(name)), `${name} is not in /metrics`).toBe(true);
    const alerts = [...text.matchAll(/^\s+- alert: (\w+)$/gmu)].map((m) => m[1]!);
    expect(alerts).toEqual(
      expect.arrayContaining([
        'PhototagErrorRateHigh',
        'PhototagBacklogGrowing',
        'PhototagNoSuccess',
        'PhototagProviderPaused',
        'PhototagDataDirAlmostFull',
      ]),
    );
    const tests = fs.readFileSync(RULE_TESTS, 'utf8');
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const alert of alerts) {
      expect(tests, `${alert} has no unit test`).toContain(`alertname: ${alert}`);
      expect(readme, `${alert} is not in the README`).toContain(`\`${alert}\``);
    }
  });
});

describe('install/monitoring: the Grafana dashboard', () => {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    panels: Panel[];
    templating: { list: { name: string }[] };
  };
  const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));

  it('is one dashboard whose panels have unique ids and whose variables are all defined', () => {
    expect(dashboard.uid).toBe('phototag');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(queries.length).toBeGreaterThan(20);
    const defined = new Set(['__rate_interval', '__interval', '__range', ...dashboard.templating.list.map((v) => v.name)]);
    const used = [...JSON.stringify(dashboard).matchAll(/\$\{?(\w+)/gu)].map((m) => m[1]!);
    for (const name of used) expect(defined.has(name), `$${name} is not defined`).toBe(true);
  });

  it('has queries that are valid PromQL (checked by promtool as recording rules)', () => {
    // Grafana fills in its variables before Prometheus sees a query; so does this check.
    const rules = queries.map((q, i) => ({
      record: `phototag_dashboard:q${i}`,
      expr: q.expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'),
    }));
    const file = path.join(dir, 'dashboard-queries.yml');
    fs.writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] })); // JSON is YAML
    const check = promtool('check', 'rules', file);
    expect(check.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.status).toBe(0);
  });

  it('uses only metrics a running phototag serve exports, and shows every phototag metric', () => {
    const names = metricNames(queries.map((q) => q.expr).join('\n'));
    for (const name of names) expect(scraped.has(family(name)), `${name} is not in /metrics`).toBe(true);
    const shown = new Set(names.map(family));
    for (const name of scraped.keys())
      if (!/^phototag_(process|nodejs)_/u.test(name)) expect(shown.has(name), `${name} has no panel`).toBe(true);
  });
});
