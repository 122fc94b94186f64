import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { stringify } from 'yaml';
import type { RuleSetVersion } from '../../src/routing/rule-store.js';
import { REPO_ROOT, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 17 items 2 and 5, with `dafne-node serve` as a separate process started from the
 * repository root: the shipped config/routing.example.yaml, copied next to the config file as the
 * docs say and named by a relative `rulesFile`, starts as shipped against the demo model; a file
 * naming a model that is not installed stops the start (exit 78, the file, rule and field on
 * stderr); a reload (SIGHUP, POST /api/v1/rules/reload) of a bad file keeps the rules in force and
 * says why in the log, /readyz and the audit trail.
 */
const BAD_MODEL = 'routing.rulesFile %FILE%: rules[0].model (rule "leg-mr"): model "leg" is not installed (installed: leg-demo)';

/** A site directory (config + rules file side by side) and a data directory. */
function site(rules: string | undefined): { dir: string; dataDir: string; rulesFile: string; config: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dafne-site-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const rulesFile = path.join(dir, 'routing.yaml');
  if (rules === undefined) copyFileSync(path.join(REPO_ROOT, 'config/routing.example.yaml'), rulesFile);
  else writeFileSync(rulesFile, rules);
  const config = path.join(dir, 'site.yaml');
  // Relative: resolved against site.yaml's directory, although the process runs in REPO_ROOT.
  writeFileSync(config, stringify({ storage: { fsync: false, minFreeBytes: 0, minFreePercent: 0 }, routing: { rulesFile: 'routing.yaml' }, learning: { enabled: false } }));
  return { dir, dataDir, rulesFile, config };
}

const exampleWith = (from: string, to: string): string => readFileSync(path.join(REPO_ROOT, 'config/routing.example.yaml'), 'utf8').replace(from, to);

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T };
}

test.serial('the shipped example starts as shipped; a bad reload keeps the rules in force and says why', async (t) => {
  const s = site(undefined);
  let node: NodeProcess | undefined;
  try {
    node = await startNodeProcess({ dataDir: s.dataDir, env: { DAFNE_CONFIG: s.config } });
    const v1 = (await json<RuleSetVersion>(`${node.url}/api/v1/rules`)).body;
    t.deepEqual(v1.rules.map((r) => [r.id, r.model]), [['leg-mr', 'leg-demo'], ['leg-mr-review', 'leg-demo'], ['leg-mr-coronal', 'leg-demo'], ['leg-mr-study', 'leg-demo']]);
    t.is(v1.actor, `yaml:${s.rulesFile}`);
    t.deepEqual((await json<{ name: string }[]>(`${node.url}/api/v1/destinations`)).body.map((d) => d.name), ['pacs', 'research']);
    t.is((await json<{ checks: Record<string, string> }>(`${node.url}/readyz`)).body.checks.rulesFile, 'ok');

    // The example as it shipped before issue 17: `model: leg`. SIGHUP: refused, the version stays.
    writeFileSync(s.rulesFile, exampleWith('model: leg-demo ', 'model: leg '));
    process.kill(node.pid, 'SIGHUP');
    const ready = await waitFor(async () => {
      const r = await json<{ status: string; checks: Record<string, string> }>(`${node!.url}/readyz`);
      return r.body.checks.rulesFile !== 'ok' ? r : undefined;
    }, 20_000);
    t.is(ready.status, 200, 'still ready: it routes with the rules in force');
    t.is(ready.body.checks.rulesFile, `reload refused (rule set version ${v1.version} stays in force): ${BAD_MODEL.replace('%FILE%', s.rulesFile)}`);
    t.is((await json<RuleSetVersion>(`${node.url}/api/v1/rules`)).body.version, v1.version);
    t.true(node.log().includes('the rule set in force (version 1) stays'), 'logged');
    const audit = (await json<{ entries: { action: string; actor: string; detail: { issues: { rule: string; path: string }[] } }[] }>(`${node.url}/api/v1/audit?action=rules.file.refused`)).body.entries;
    t.is(audit[0]?.actor, 'signal:SIGHUP');
    t.deepEqual(audit[0]?.detail.issues.map((x) => [x.rule, x.path]), [['leg-mr', 'rules[0].model']]);

    // The same by the API: 400 with the issues; then a good file is a new version.
    const refused = await json<{ message: string; issues: { path: string }[] }>(`${node.url}/api/v1/rules/reload`, { method: 'POST' });
    t.is(refused.status, 400);
    t.is(refused.body.message, BAD_MODEL.replace('%FILE%', s.rulesFile));
    writeFileSync(s.rulesFile, exampleWith('priority: 10 ', 'priority: 20 '));
    const reloaded = await json<{ ok: boolean; version: number }>(`${node.url}/api/v1/rules/reload`, { method: 'POST' });
    t.deepEqual([reloaded.status, reloaded.body.ok, reloaded.body.version], [200, true, v1.version + 1]);
    t.is((await json<RuleSetVersion>(`${node.url}/api/v1/rules`)).body.rules[0]?.priority, 20);
  } finally {
    await node?.stop();
    rmSync(s.dir, { recursive: true, force: true });
  }
});

test.serial('at start a rules file naming a model that is not installed, or an unknown destination, stops the node with exit 78', async (t) => {
  const s = site(exampleWith('model: leg-demo ', 'model: leg ').replace('      - pacs                                 # the full SEG', '      - pacs-typo'));
  try {
    const err = await t.throwsAsync(startNodeProcess({ dataDir: s.dataDir, env: { DAFNE_CONFIG: s.config } }));
    t.regex(err!.message, /exited with 78 during start/);
    const line = err!.message.split('\n').find((l) => l.startsWith('dafne-node: routing.rulesFile'));
    t.is(
      line,
      `dafne-node: ${BAD_MODEL.replace('%FILE%', s.rulesFile)}; rules[0].destinations[0] (rule "leg-mr"): destination "pacs-typo" is not configured (configured: pacs, research)`,
    );
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});
