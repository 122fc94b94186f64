import test from 'ava';
import { API, pathOf } from '../../src/console/api-table.js';

test('pathOf fills and encodes path parameters and adds the query without empty values', (t) => {
  t.is(pathOf('ruleRevert', { version: 7 }), '/api/v1/rules/versions/7/revert');
  t.is(pathOf('destinationTest', { name: 'a b/c' }), '/api/v1/destinations/a%20b%2Fc/test');
  t.is(pathOf('jobs', {}, { state: 'dead-letter', type: undefined, limit: 100 }), '/api/v1/jobs?state=dead-letter&limit=100');
  t.is(pathOf('audit', {}, { action: '' }), '/api/v1/audit');
  t.throws(() => pathOf('promote'), { message: 'promote: missing id' });
});

test('every call that changes state is a POST, PUT or DELETE for admins only', (t) => {
  for (const [name, c] of Object.entries(API)) {
    if ('change' in c && c.change) {
      t.not(c.method, 'GET', name);
      t.deepEqual([...c.roles], ['admin'], name);
    }
  }
  // …and every admin-only POST/PUT/DELETE except the dry-run, the rule tester and the connectivity test changes state.
  const nonChanging = Object.entries(API).filter(([, c]) => c.method !== 'GET' && !('change' in c)).map(([n]) => n);
  t.deepEqual(nonChanging.sort(), ['destinationTest', 'dryRun', 'ruleTest']);
});
