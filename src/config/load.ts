import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.js';

/** Thrown when the configuration cannot be used; the message names the offending key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Environment variables of DESIGN §3 and the config key each one overrides. */
const ENV_KEYS: Array<[string, string[], 'string' | 'port']> = [
  ['HOST', ['server', 'host'], 'string'],
  ['PORT', ['server', 'port'], 'port'],
  ['DIMSE_PORT', ['dimse', 'port'], 'port'],
  ['DAFNE_DATA_DIR', ['dataDir'], 'string'],
  ['DATABASE_URL', ['database', 'url'], 'string'],
  ['DAFNE_CENTRAL_URL', ['federation', 'centralUrl'], 'string'],
  ['LOG_LEVEL', ['log', 'level'], 'string'],
];

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object') throw new ConfigError(`config: ${keys.join('.')}: parent is not an object`);
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/**
 * Loads the YAML file (DAFNE_CONFIG or config/default.yaml), applies environment overrides, and
 * validates. Fails fast: the first problem is reported as `key.path: reason`.
 */
export function loadConfig(env: Env = process.env, overrides: Record<string, unknown> = {}): Config {
  const file = env.DAFNE_CONFIG ?? path.resolve('config/default.yaml');
  let raw: unknown = {};
  try {
    raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A missing default file is fine (built-in defaults); a missing explicit file is an error.
    if (!(code === 'ENOENT' && env.DAFNE_CONFIG === undefined)) {
      throw new ConfigError(`config: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`config: ${file} must contain a YAML mapping at the top level`);
  }
  const merged = structuredClone(raw) as Record<string, unknown>;
  for (const [name, keys, kind] of ENV_KEYS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (kind === 'port') {
      if (!/^\d+$/.test(value)) throw new ConfigError(`config: ${keys.join('.')} (from ${name}): "${value}" is not a port number`);
      setPath(merged, keys, Number(value));
    } else setPath(merged, keys, value);
  }
  for (const [dotted, value] of Object.entries(overrides)) setPath(merged, dotted.split('.'), value);
  const config = validateConfig(merged, file);
  // Written next to the config file, read from it: `rulesFile: routing.yaml` in /etc/dafne/site.yaml
  // is /etc/dafne/routing.yaml whatever directory the service was started from.
  const rules = config.routing.rulesFile;
  if (rules !== undefined && !path.isAbsolute(rules)) config.routing.rulesFile = path.resolve(path.dirname(path.resolve(file)), rules);
  return config;
}

export function validateConfig(input: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new ConfigError(`config: ${key}: ${issue.message} (in ${source})`);
  }
  return result.data;
}
