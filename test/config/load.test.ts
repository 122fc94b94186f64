import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const file = (yaml: string): string => {
  const p = path.join(mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'c.yaml');
  writeFileSync(p, yaml);
  return p;
};

test('defaults apply when the file sets nothing', (t) => {
  const c = loadConfig({ DAFNE_CONFIG: file('{}') });
  t.is(c.server.host, '127.0.0.1');
  t.is(c.server.port, 8080);
  t.is(c.dataDir, './var');
  t.is(c.database.url, undefined);
  t.deepEqual(c.auth.tokens, []);
});

test('environment variables override the file (DESIGN §3)', (t) => {
  const c = loadConfig({
    DAFNE_CONFIG: file('server: { port: 9000 }\n'),
    PORT: '9100',
    HOST: '0.0.0.0',
    DAFNE_DATA_DIR: '/srv/dafne',
    DATABASE_URL: 'postgres://u@db:5432/dafne',
    DAFNE_CENTRAL_URL: 'https://central.example/',
    LOG_LEVEL: 'debug',
  });
  t.is(c.server.port, 9100);
  t.is(c.server.host, '0.0.0.0');
  t.is(c.dataDir, '/srv/dafne');
  t.is(c.database.url, 'postgres://u@db:5432/dafne');
  t.is(c.federation.centralUrl, 'https://central.example/');
  t.is(c.log.level, 'debug');
});

test('an invalid value stops start-up naming the key and the reason', (t) => {
  const e1 = t.throws(() => loadConfig({ DAFNE_CONFIG: file('server: { port: 70000 }\n') }), { instanceOf: ConfigError });
  t.regex(e1.message, /^config: server\.port: .*65535/);
  const e2 = t.throws(() => loadConfig({ DAFNE_CONFIG: file('{}'), PORT: 'eighty' }), { instanceOf: ConfigError });
  t.regex(e2.message, /server\.port \(from PORT\): "eighty" is not a port number/);
  const e3 = t.throws(() => loadConfig({ DAFNE_CONFIG: file('{}'), DATABASE_URL: 'mysql://x' }), { instanceOf: ConfigError });
  t.regex(e3.message, /^config: database\.url: must be a postgres/);
  const e4 = t.throws(() => loadConfig({ DAFNE_CONFIG: file('stow: { maxRequestByte: 5 }\n') }), { instanceOf: ConfigError });
  t.regex(e4.message, /^config: stow: .*maxRequestByte/);
  const e5 = t.throws(() => loadConfig({ DAFNE_CONFIG: file('auth: { tokens: [ { name: a, sha256: nothex, roles: [admin] } ] }\n') }), { instanceOf: ConfigError });
  t.regex(e5.message, /^config: auth\.tokens\.0\.sha256: must be 64 lowercase hex/);
});

test('a missing explicit config file is an error; YAML that is not a mapping too', (t) => {
  t.throws(() => loadConfig({ DAFNE_CONFIG: '/nonexistent/dafne.yaml' }), { instanceOf: ConfigError, message: /cannot read/ });
  t.throws(() => loadConfig({ DAFNE_CONFIG: file('- a\n- b\n') }), { instanceOf: ConfigError, message: /mapping/ });
});

test('the shipped config/default.yaml is valid', (t) => {
  const c = loadConfig({ DAFNE_CONFIG: path.resolve('config/default.yaml') });
  t.is(c.storage.fsync, true);
  t.is(c.stow.maxRequestBytes, 4 * 1024 ** 3);
});

test('routing.rulesFile is relative to the config file, not to the working directory', (t) => {
  const cfg = file('routing: { rulesFile: routing.yaml }\n');
  t.is(loadConfig({ DAFNE_CONFIG: cfg }).routing.rulesFile, path.join(path.dirname(cfg), 'routing.yaml'));
  t.is(loadConfig({ DAFNE_CONFIG: file('routing: { rulesFile: ../site/rules.yaml }\n') }).routing.rulesFile!.endsWith('/site/rules.yaml'), true);
  t.is(loadConfig({ DAFNE_CONFIG: file('routing: { rulesFile: /etc/dafne/routing.yaml }\n') }).routing.rulesFile, '/etc/dafne/routing.yaml', 'absolute stays');
  t.is(loadConfig({ DAFNE_CONFIG: file('{}') }).routing.rulesFile, undefined);
});
