import test from 'ava';
import { API, type ApiCall } from '../../src/console/api-table.js';
import { startNode, type TestNode } from '../helpers/node.js';
import { documentedCalls } from './api-docs.js';

/**
 * "Every action in the console is also possible through the documented API": the console's one
 * table of calls (src/console/api-table.ts) equals the table in docs/console.md, and the node
 * answers each call from a handler (not the router's "no such route" 404 or a 405). Probes send
 * ids that do not exist and bodies with an unknown key, so nothing changes state.
 */
let n: TestNode;
test.before(async () => {
  n = await startNode();
  // The job queue's schema exists once workers start (as under `serve`).
  await n.node.routing.startWorkers();
});
test.after.always(async () => {
  await n?.close();
});

const calls = Object.entries(API) as [string, ApiCall][];

test('the console API table and the docs table list the same calls', (t) => {
  const documented = documentedCalls();
  const table = new Set(calls.map(([, c]) => `${c.method} ${c.path}`));
  t.deepEqual([...table].filter((c) => !documented.has(c)), [], 'in the console, not in docs/console.md');
  t.deepEqual([...documented].filter((c) => !table.has(c)), [], 'in docs/console.md, not in the console');
  t.true(table.size >= 29);
});

test('the node answers every console call from a handler', async (t) => {
  for (const [name, c] of calls) {
    const path = c.path.replace(/\{(\w+)\}/g, (_, k: string) => (k === 'version' ? '999999' : k === 'id' && c.path.startsWith('/api/v1/jobs') ? '00000000-0000-4000-8000-000000000000' : 'no-such-thing'));
    const res = await fetch(`${n.url}${path}`, { method: c.method, headers: c.method === 'GET' || c.method === 'DELETE' ? {} : { 'content-type': 'application/json' }, body: c.method === 'GET' || c.method === 'DELETE' ? undefined : JSON.stringify({ probe: true }) });
    const text = await res.text();
    t.not(res.status, 405, `${name}: ${c.method} ${path} is not a route (405)`);
    t.true(res.status < 500, `${name}: ${c.method} ${path} answered ${res.status}: ${text.slice(0, 200)}`);
    if (res.status === 404) {
      // A handler's 404 says what is missing, in the error catalog's JSON; the router's says "Not Found".
      const body = JSON.parse(text) as { error?: string; message?: string };
      t.is(body.error, 'not_found', `${name}: ${c.method} ${path} → ${text.slice(0, 120)}`);
    }
    if (!c.change && c.method === 'GET') t.is(res.status, /\{/.test(c.path) ? res.status : 200, `${name}: ${c.method} ${path} → ${res.status} ${text.slice(0, 200)}`);
  }
  // Nothing was changed by the probes.
  const audit = (await (await fetch(`${n.url}/api/v1/audit`)).json()) as { entries: unknown[] };
  t.deepEqual(audit.entries, []);
});
