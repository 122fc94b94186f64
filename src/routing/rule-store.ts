import type { Database } from '../db/data-source.js';
import { issuesText, referenceIssues, type References, type RuleIssue } from './rule-references.js';
import { ruleSchema, ruleSetSchema, type Rule, type RuleInput } from './rule-types.js';

export class RuleStoreError extends Error {
  constructor(message: string, readonly code: 'not-found' | 'conflict' | 'invalid', readonly issues: RuleIssue[] = []) {
    super(message);
    this.name = 'RuleStoreError';
  }
}

/**
 * Which rules' references (model, destinations, labels) a change must get right: `all` for a whole
 * set (PUT, revert, the rules file), a rule id for a one-rule change (so an edit of one rule is not
 * refused for another rule whose model went away), `none` for a delete (removing a broken rule must
 * always work).
 */
export type ReferenceCheck = 'all' | 'none' | { ruleId: string };

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
  /** `references`: the node's models and destinations at the time of a change; without it only the schema is checked. */
  constructor(private readonly db: Database, private readonly references?: () => Promise<References>) {}

  /** The models and destinations rules are checked against now (empty without a source: tests of the store alone). */
  async referencesNow(): Promise<References> {
    return this.references ? this.references() : { models: new Map(), destinations: new Set() };
  }

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
  async replace(rules: unknown, actor: string, action: string, detail?: string, sourceSha256?: string, check: ReferenceCheck = 'all'): Promise<RuleSetVersion> {
    const parsed = parseRuleSet(rules);
    await this.checkReferences(parsed, check);
    // The version number comes from the serial: concurrent writers each get their own version.
    const [row] = (await this.db.dataSource.query(
      'INSERT INTO routing_ruleset (rules, actor, action, detail, source_sha256) VALUES ($1::jsonb, $2, $3, $4, $5) RETURNING *',
      [JSON.stringify(parsed), actor, action, detail ?? null, sourceSha256 ?? null],
    )) as Row[];
    return toVersion(row!);
  }

  /** Throws RuleStoreError('invalid') naming each rule and field that refers to something this node does not have. */
  async checkReferences(rules: readonly Rule[], check: ReferenceCheck, refs?: References): Promise<void> {
    if (check === 'none' || (!refs && !this.references)) return;
    const r = refs ?? (await this.references!());
    const issues = check === 'all' ? referenceIssues(rules, r) : referenceIssues(rules.filter((x) => x.id === check.ruleId), r, () => '');
    if (issues.length) throw invalid(issues);
  }

  async create(input: RuleInput, actor: string): Promise<RuleSetVersion> {
    const rule = parseRule(input);
    const cur = await this.current();
    if (cur.rules.some((r) => r.id === rule.id)) throw new RuleStoreError(`rule "${rule.id}" exists; use PUT to change it`, 'conflict');
    return this.replace([...cur.rules, rule], actor, 'create', rule.id, undefined, { ruleId: rule.id });
  }

  async update(id: string, input: RuleInput, actor: string): Promise<RuleSetVersion> {
    const rule = parseRule({ ...(input as object), id });
    const cur = await this.current();
    const i = cur.rules.findIndex((r) => r.id === id);
    if (i < 0) throw new RuleStoreError(`no rule "${id}"`, 'not-found');
    const rules = [...cur.rules];
    rules[i] = rule;
    return this.replace(rules, actor, 'update', id, undefined, { ruleId: id });
  }

  async remove(id: string, actor: string): Promise<RuleSetVersion> {
    const cur = await this.current();
    if (!cur.rules.some((r) => r.id === id)) throw new RuleStoreError(`no rule "${id}"`, 'not-found');
    return this.replace(cur.rules.filter((r) => r.id !== id), actor, 'delete', id, undefined, 'none');
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
  if (!r.success) throw invalid(schemaIssues(r.error.issues, input));
  return r.data;
}

/** A rule set from the API or a file, or the issues naming each rule and field (schema first). */
export function parseRuleSet(input: unknown, prefix = (i: number) => `rules[${i}]`): Rule[] {
  const r = ruleSetSchema.safeParse(input);
  if (!r.success) throw invalid(schemaIssues(r.error.issues, input, prefix));
  return r.data;
}

const invalid = (issues: RuleIssue[]): RuleStoreError => new RuleStoreError(issuesText(issues.slice(0, 10)), 'invalid', issues);

/** `when.Modality`, `destinations[0].seg.labels[1]`: a zod path as an admin reads it. */
const fieldText = (path: readonly PropertyKey[]): string => path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');

/**
 * Zod issues as rule issues. For a set (`prefix` given) the first path element is the rule's
 * index: `rules[2].when.Modality`; for a single rule the path is the field alone: `when.Modality`.
 */
function schemaIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], input: unknown, prefix?: (i: number) => string): RuleIssue[] {
  const idOf = (x: unknown): string => (typeof (x as { id?: unknown } | null)?.id === 'string' ? (x as { id: string }).id : '');
  return issues.map((x) => {
    if (!prefix) return { rule: idOf(input), path: fieldText(x.path) || '(rule)', message: x.message };
    const [first, ...rest] = x.path;
    if (typeof first !== 'number') return { rule: '', path: 'rules', message: x.message };
    const field = fieldText(rest);
    return { rule: idOf(Array.isArray(input) ? input[first] : undefined), path: `${prefix(first)}${field && !field.startsWith('[') ? '.' : ''}${field}`, message: x.message };
  });
}
