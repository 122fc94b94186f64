import test from 'ava';
import { hashToken } from '../../src/http/auth.js';
import { startNode, type TestNode } from '../helpers/node.js';

/**
 * Every state-changing rules and destinations call writes one audit entry naming the token and the
 * time (the console's browser test covers jobs and models); GET /api/v1/audit is admin-only,
 * filters, and validates its query.
 */
const ADMIN = { name: 'night-admin', token: 'audit-admin-token-0123456789' };
const READER = { name: 'a-reader', token: 'audit-reader-token-0123456789' };
let n: TestNode;

test.before(async () => {
  n = await startNode({
    config: {
      auth: {
        tokens: [
          { name: ADMIN.name, sha256: hashToken(ADMIN.token), roles: ['admin'] },
          { name: READER.name, sha256: hashToken(READER.token), roles: ['reader'] },
        ],
      },
    },
  });
});
test.after.always(async () => {
  await n?.close();
});

async function call(method: string, path: string, body?: unknown, token = ADMIN.token): Promise<{ status: number; json: any }> {
  const res = await fetch(`${n.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const rule = { id: 'r1', when: { Modality: 'MR' }, model: 'leg-demo' };

test.serial('rule and destination changes each leave one audit entry with who, what and when', async (t) => {
  const t0 = Date.now() - 1000;
  t.is((await call('POST', '/api/v1/rules', rule)).status, 201);
  t.is((await call('PUT', '/api/v1/rules/r1', { ...rule, enabled: false })).status, 200);
  t.is((await call('PUT', '/api/v1/rules', { rules: [rule, { ...rule, id: 'r2' }] })).status, 200);
  t.is((await call('POST', '/api/v1/rules/versions/1/revert')).status, 200);
  t.is((await call('DELETE', '/api/v1/rules/r1')).status, 200);
  t.is((await call('PUT', '/api/v1/destinations/pacs', { url: 'http://127.0.0.1:9/dicom-web', auth: { type: 'basic', username: 'u', password: 'secret-pw' } })).status, 200);
  t.is((await call('DELETE', '/api/v1/destinations/pacs')).status, 204);
  // Failed changes write nothing.
  t.is((await call('POST', '/api/v1/rules', { id: 'bad id!' })).status, 400);
  t.is((await call('DELETE', '/api/v1/destinations/pacs')).status, 404);

  const { status, json } = await call('GET', '/api/v1/audit');
  t.is(status, 200);
  const entries = json.entries as { at: string; actor: string; action: string; target: string; detail: any }[];
  t.deepEqual(
    entries.map((e) => `${e.action} ${e.target}`),
    ['destination.delete destination:pacs', 'destination.put destination:pacs', 'rule.delete rule:r1', 'rules.revert rules', 'rules.replace rules', 'rule.update rule:r1', 'rule.create rule:r1'],
  );
  for (const e of entries) {
    t.is(e.actor, ADMIN.name);
    t.true(Date.parse(e.at) >= t0 && Date.parse(e.at) <= Date.now());
  }
  t.deepEqual(entries.find((e) => e.action === 'rule.update')!.detail, { version: 2, enabled: false });
  t.deepEqual(entries.find((e) => e.action === 'rules.revert')!.detail, { version: 4, to: 1 });
  t.is(entries.find((e) => e.action === 'destination.put')!.detail.auth.username, 'u');
  t.false(JSON.stringify(entries).includes('secret-pw'), 'the password is never in the audit trail');

  t.deepEqual(((await call('GET', '/api/v1/audit?action=rule.')).json.entries as { action: string }[]).map((e) => e.action), ['rule.delete', 'rule.update', 'rule.create']);
  t.is((await call('GET', '/api/v1/audit?target=destination:pacs&limit=1')).json.entries.length, 1);
});

test.serial('cancelling and retrying a job leave audit entries', async (t) => {
  // No workers run in this node: a queued job waits in `created` until an admin cancels it.
  const id = await n.node.routing.queue.send('delivery', { deliveryId: '0', destination: 'none', sopInstanceUid: '1.2.3' });
  t.truthy(id);
  const res = await call('POST', `/api/v1/jobs/${id}/cancel`);
  t.is(res.status, 200, JSON.stringify(res.json));
  t.is(res.json.state, 'cancelled');
  t.is((await call('POST', `/api/v1/jobs/${id}/retry`)).status, 409, 'only a dead-letter job can be retried');
  const [e] = (await call('GET', `/api/v1/audit?target=job:${id}`)).json.entries as { actor: string; action: string; detail: any }[];
  t.is(e?.action, 'job.cancel');
  t.is(e?.actor, ADMIN.name);
  t.deepEqual(e?.detail, { type: 'delivery', state: 'created' });
});

test.serial('the audit trail is for admins, and its query is validated', async (t) => {
  t.is((await call('GET', '/api/v1/audit', undefined, READER.token)).status, 403);
  t.is((await call('GET', '/api/v1/audit?since=yesterday')).status, 400);
  t.is((await call('GET', '/api/v1/audit?before=abc')).status, 400);
  t.is((await call('GET', '/api/v1/audit?limit=0')).status, 400);
  t.is((await call('GET', '/api/v1/audit?limit=5001')).status, 400);
  t.is((await call('GET', '/api/v1/audit?limit=5000')).status, 200);
});
