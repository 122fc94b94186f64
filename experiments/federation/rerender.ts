/** Re-renders the report (docs table, SVG) from experiments/federation/results.json without re-running. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeReport, type ExperimentResult } from './report.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const r = JSON.parse(readFileSync(`${root}experiments/federation/results.json`, 'utf8')) as ExperimentResult & { analysis?: unknown };
delete r.analysis;
process.stdout.write(writeReport(r, root) + '\n');
