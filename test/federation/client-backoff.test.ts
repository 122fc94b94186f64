import test from 'ava';
import { backoffSeconds } from '../../src/federation/client/upload-queue.js';

test('upload retries back off exponentially with jitter, capped', (t) => {
  const o = { retryBaseSeconds: 30, retryMaxSeconds: 3600 };
  t.is(backoffSeconds(0, o, () => 0.5), 30);
  t.is(backoffSeconds(3, o, () => 0.5), 240);
  t.is(backoffSeconds(20, o, () => 0.5), 3600, 'capped at retryMaxSeconds');
  t.is(Math.round(backoffSeconds(1, o, () => 0) * 1e6) / 1e6, 48, '−20 % jitter');
  t.is(Math.round(backoffSeconds(1, o, () => 1) * 1e6) / 1e6, 72, '+20 % jitter');
  t.is(backoffSeconds(1e6, o, () => 0.5), 3600, 'no overflow for absurd attempt counts');
});
