import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/node-process.js';

/**
 * The calls docs/console.md documents, from its table "Every call the console makes": rows whose
 * first cell is `METHOD /api/v1/...` in backticks. Returned as "METHOD /api/v1/path/{param}".
 */
export function documentedCalls(): Set<string> {
  const text = readFileSync(path.join(REPO_ROOT, 'docs/console.md'), 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(/^\| `(GET|POST|PUT|DELETE) (\/api\/v1\/[^`\s]*)` \|/gm)) out.add(`${m[1]} ${m[2]}`);
  return out;
}
