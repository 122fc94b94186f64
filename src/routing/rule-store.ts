import type { Database } from '../db/data-source.js';
import { ruleSchema, ruleSetSchema, type Rule, type RuleInput } from './rule-types.js';

export class RuleStoreError extends Error {
  constructor(message: string, readonly code: 'not-found' | 'conflict' | 'invalid') {
    super(message);
    this.name = 'RuleStoreError';
  }
}

export interface RuleSetVersion {
  version: number;
  rules: Rule[];
  actor: string;
  action: string;
  detail: string | null;
  createdAt: string;
}

interface Row {
  version: number;
  rules: unknown;
  actor: string;
  action: string;
  detail: string | null;
  source_sha256: string | null;
  created_at: Date | string;
}

const toVersion = (r: Row): RuleSetVersion => ({
  version: Number(r.version),
  rules: ruleSetSchema.parse(r.rules),
  actor: r.actor,
  action: r.action,
  detail: r.detail,
  createdAt: new Date(r.created_at).toISOString(),
});

/**
 * The routing rule set, versioned as a whole: every change (API or YAML import) appends a new
 * version with who, when and what; revert appends a copy of an older version. Nothing is edited
 * in place, so the history is the audit trail and any version can come back.
 */
export class RuleStore {
  constructor(private readonly db: Database) {}

  async current(): Promise<RuleSetVersion> {
    const [row] = (await this.db.dataSource.query('SELECT * FROM routing_ruleset ORDER BY version DESC LIMIT 1')) as Row[];
    return row ? toVersion(row) : { version: 0, rules: [], actor: 'none', action: 'empty', detail: null, createdAt: new Date(0).toISOString() };
  }

  async version(version: number): Promise<RuleSetVersion> {
    const [row] = (await this.db.dataSource.query('SELECT * FROM routing_ruleset WHERE version = $1', [version])) as Row[];
    if (!row) throw new RuleStoreError(`no rule set version ${version}`, 'not-found');
    return toVersion(row);
  }

  async history(limit = 100): Promise<Omit<RuleSetVersion, 'rules'>[]> {
    const rows = (await this.db.dataSource.query('SELECT * FROM routing_ruleset ORDER BY version DESC LIMIT $1', [limit])) as Row[];
    return rows.map((r) => ({ version: Number(r.version), actor: r.actor, action: r.action, detail: r.detail, createdAt: new Date(r.created_at).toISOString() }));
  }

  /** Replaces the whole set (validated); returns the new version. */
  async replace(rules: unknown, actor: string, action: string, detail?: string, sourceSha256?: string): Promise<RuleSetVersion> {
    const parsed = ruleSetSchema.safeParse(rules);
    if (!parsed.success) throw new RuleStoreError(formatIssues(parsed.error.issues), 'invalid');
    // The version number comes from the serial: concurrent writers each get their own version.
    const [row] = (await this.db.dataSource.query(
      'INSERT INTO routing_ruleset (rules, actor, action, detail, source_sha256) VALUES ($1::jsonb, $2, $3, $4, $5) RETURNING *',
      [JSON.stringify(parsed.data), actor, action, detail ?? null, sourceSha256 ?? null],
    )) as Row[];
    return toVersion(row!);
  }

  async create(input: RuleInput, actor: string): Promise<RuleSetVersion> {
    const rule = parseRule(input);
    const cur = await this.current();
    if (cur.rules.some((r) => r.id === rule.id)) throw new RuleStoreError(`rule "${rule.id}" exists; use PUT to change it`, 'conflict');
    return this.replace([...cur.rules, rule], actor, 'create', rule.id);
  }

  async update(id: string, input: RuleInput, actor: string): Promise<RuleSetVersion> {
    const rule = parseRule({ ...(input as object), id });
    const cur = await this.current();
    const i = cur.rules.findIndex((r) => r.id === id);
    if (i < 0) throw new RuleStoreError(`no rule "${id}"`, 'not-found');
    const rules = [...cur.rules];
    rules[i] = rule;
    return this.replace(rules, actor, 'update', id);
  }

  async remove(id: string, actor: string): Promise<RuleSetVersion> {
    const cur = await this.current();
    if (!cur.rules.some((r) => r.id === id)) throw new RuleStoreError(`no rule "${id}"`, 'not-found');
    return this.replace(cur.rules.filter((r) => r.id !== id), actor, 'delete', id);
  }

  async revert(version: number, actor: string): Promise<RuleSetVersion> {
    const old = await this.version(version);
    return this.replace(old.rules, actor, 'revert', `to version ${version}`);
  }

  /** Imports the YAML rules when that file's content differs from the last import of it. */
  async importIfChanged(rules: unknown, sha256: string, actor: string): Promise<RuleSetVersion | undefined> {
    const [last] = (await this.db.dataSource.query("SELECT source_sha256 FROM routing_ruleset WHERE action = 'import' ORDER BY version DESC LIMIT 1")) as Row[];
    if (last?.source_sha256 === sha256) return undefined;
    return this.replace(rules, actor, 'import', undefined, sha256);
  }
}

export function parseRule(input: unknown): Rule {
  const r = ruleSchema.safeParse(input);
  if (!r.success) throw new RuleStoreError(formatIssues(r.error.issues), 'invalid');
  return r.data;
}

function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(rule)'}: ${i.message}`).join('; ');
}
