import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { destinationSchema, type Destination } from '../export/destination-store.js';
import { referenceIssues, type References, type RuleIssue } from './rule-references.js';
import { parseRuleSet, RuleStoreError } from './rule-store.js';
import type { Rule } from './rule-types.js';

/** The rules file cannot be used; `message` names the file, and each issue the rule and field. */
export class RulesFileError extends Error {
  constructor(readonly file: string, readonly issues: RuleIssue[], detail?: string) {
    super(`routing.rulesFile ${file}: ${detail ?? issues.map((x) => `${x.path}${x.rule ? ` (rule "${x.rule}")` : ''}: ${x.message}`).join('; ')}`);
    this.name = 'RulesFileError';
  }
}

export interface RulesFileContent {
  destinations: Destination[];
  rules: Rule[];
  /** SHA-256 of the file's bytes: the rules become a new version only when it changes. */
  sha256: string;
}

const KEYS = new Set(['destinations', 'rules']);

/**
 * Reads and checks the whole rules file before anything of it is applied: YAML, the two top-level
 * keys, every destination, every rule, and what the rules refer to (models installed now;
 * destinations of the node or of this file; label names of the model). Throws RulesFileError with
 * all problems found, so a start refuses, and a reload keeps the rule set in force, as a unit.
 */
export async function readRulesFile(file: string, refs: References): Promise<RulesFileContent> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RulesFileError(file, [], `cannot read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new RulesFileError(file, [], `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RulesFileError(file, [], 'must be a YAML mapping with destinations: and rules:');
  const issues: RuleIssue[] = [];
  // A misspelt key (`rule:`) would otherwise mean "no rules" without a word.
  for (const k of Object.keys(doc)) if (!KEYS.has(k)) issues.push({ rule: '', path: k, message: `unknown key (expected destinations, rules)` });
  const { destinations: rawDests = [], rules: rawRules = [] } = doc as { destinations?: unknown; rules?: unknown };
  const destinations: Destination[] = [];
  if (!Array.isArray(rawDests)) issues.push({ rule: '', path: 'destinations', message: 'must be a list' });
  else {
    rawDests.forEach((d, i) => {
      const r = destinationSchema.safeParse(d);
      if (r.success) destinations.push(r.data);
      else for (const x of r.error.issues) issues.push({ rule: '', path: `destinations[${i}]${x.path.length ? `.${x.path.join('.')}` : ''}`, message: x.message });
    });
  }
  let rules: Rule[] = [];
  try {
    rules = parseRuleSet(rawRules);
  } catch (err) {
    if (!(err instanceof RuleStoreError)) throw err;
    issues.push(...err.issues);
  }
  const known: References = { models: refs.models, destinations: new Set([...refs.destinations, ...destinations.map((d) => d.name)]) };
  issues.push(...referenceIssues(rules, known));
  if (issues.length) throw new RulesFileError(file, issues);
  return { destinations, rules, sha256: createHash('sha256').update(text).digest('hex') };
}
