import Router from '@koa/router';
import { z } from 'zod';
import type { Archive } from '../archive/archive.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditActor } from '../audit/routes.js';
import { isValidUid } from '../dicom/uids.js';
import { requireRole } from '../http/auth.js';
import type { AppContext, AppState } from '../http/context.js';
import { httpError } from '../http/errors.js';
import { readJsonBody } from '../http/json-body.js';
import { dryRun, recentSeries, type ModelCards } from './dry-run.js';
import { listEvaluations } from './route-series.js';
import { referenceIssues } from './rule-references.js';
import type { RulesFileStatus } from './routing-service.js';
import { parseRule, parseRuleSet, RuleStoreError, type RuleStore } from './rule-store.js';
import type { Rule } from './rule-types.js';

const actorOf = (ctx: AppContext): string => `api:${ctx.state.principal.name}`;
const q = (ctx: AppContext, name: string): string | undefined => (typeof ctx.query[name] === 'string' && ctx.query[name] !== '' ? (ctx.query[name] as string) : undefined);

function mapErrors(err: unknown): never {
  // 400 bodies carry `issues` ({ rule, path, message }), so the console can point at the field.
  if (err instanceof RuleStoreError) throw httpError(err.code === 'not-found' ? 'not_found' : err.code === 'conflict' ? 'conflict' : 'bad_request', err.message, undefined, err.issues.length ? { issues: err.issues } : undefined);
  throw err;
}

const DryRunBody = z
  .object({
    /** One rule to try (against the current set, replacing a rule of the same id). */
    rule: z.unknown().optional(),
    /** A whole rule set to try instead of the current one. */
    rules: z.unknown().optional(),
    seriesInstanceUids: z.array(z.string().refine(isValidUid, 'not a UID')).max(5000).optional(),
    limit: z.number().int().min(1).max(5000).default(500),
  })
  .strict();

/** /api/v1/rules (admin): the versioned rule set, dry-run, and the record of every evaluation. */
export function routingRouter(rules: RuleStore, archive: Archive, audit: AuditLog, models: ModelCards, reloadFile?: (actor: string) => Promise<RulesFileStatus | undefined>): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/api/v1' });
  const admin = requireRole('admin');
  // Every change also goes to the node-wide audit trail (docs/console.md), besides the rule history.
  const recorded = async <T extends { version: number }>(ctx: AppContext, action: string, target: string, v: T, detail: Record<string, unknown> = {}): Promise<T> => {
    await audit.record({ actor: auditActor(ctx), action, target, detail: { version: v.version, ...detail } });
    return v;
  };

  router.get('/rules', admin, async (ctx) => {
    ctx.body = await rules.current();
  });
  router.put('/rules', admin, async (ctx) => {
    const body = (await readJsonBody(ctx, 1024 * 1024)) as { rules?: unknown };
    ctx.body = await recorded(ctx, 'rules.replace', 'rules', await rules.replace(body?.rules ?? body, actorOf(ctx), 'replace').catch(mapErrors));
  });
  router.get('/rules/history', admin, async (ctx) => {
    ctx.body = await rules.history(Number(q(ctx, 'limit') ?? 100));
  });
  router.get('/rules/versions/:version', admin, async (ctx) => {
    ctx.body = await rules.version(Number(ctx.params.version)).catch(mapErrors);
  });
  router.post('/rules/versions/:version/revert', admin, async (ctx) => {
    ctx.body = await recorded(ctx, 'rules.revert', 'rules', await rules.revert(Number(ctx.params.version), actorOf(ctx)).catch(mapErrors), { to: Number(ctx.params.version) });
  });
  router.post('/rules/dry-run', admin, async (ctx) => {
    const parsed = DryRunBody.safeParse(await readJsonBody(ctx, 1024 * 1024));
    if (!parsed.success) throw httpError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const b = parsed.data;
    let set: Rule[];
    let focus: Rule | undefined;
    try {
      // A schema error is still a 400: there is no rule to evaluate. Reference problems are not:
      // the dry-run evaluates the rules and reports them in `issues` (what saving would refuse).
      set = b.rules !== undefined ? parseRuleSet(b.rules) : (await rules.current()).rules;
      if (b.rule !== undefined) focus = parseRule(b.rule);
    } catch (err) {
      mapErrors(err);
    }
    const refs = await rules.referencesNow();
    // The set's rules keep their index in it (`rules[2].model`); the tried rule is `rule.model`.
    const issues = [...referenceIssues(set, refs).filter((x) => x.rule !== focus?.id), ...(focus ? referenceIssues([focus], refs, () => 'rule') : [])];
    if (focus) set = [...set.filter((r) => r.id !== focus.id), focus];
    const series = b.seriesInstanceUids ?? (await recentSeries(archive, b.limit));
    ctx.body = { ...(await dryRun({ archive, models, installed: [...refs.models.keys()] }, set, series, focus?.id)), issues };
  });
  // Re-reads routing.rulesFile, like SIGHUP: 400 with the file's problems when it is refused (the
  // rule set in force stays), 404 when the node has no rules file.
  router.post('/rules/reload', admin, async (ctx) => {
    const status = await reloadFile?.(auditActor(ctx));
    if (!status) throw httpError('not_found', 'this node has no routing.rulesFile');
    if (!status.ok) throw httpError('bad_request', status.error ?? 'the rules file was refused', undefined, { file: status.file, version: status.version, issues: status.issues ?? [] });
    ctx.body = status;
  });
  router.get('/rules/:id', admin, async (ctx) => {
    const rule = (await rules.current()).rules.find((r) => r.id === ctx.params.id);
    if (!rule) throw httpError('not_found', `no rule "${ctx.params.id}"`);
    ctx.body = rule;
  });
  router.post('/rules', admin, async (ctx) => {
    const v = await rules.create((await readJsonBody(ctx)) as never, actorOf(ctx)).catch(mapErrors);
    ctx.status = 201;
    ctx.body = await recorded(ctx, 'rule.create', `rule:${v.detail ?? ''}`, v);
  });
  router.put('/rules/:id', admin, async (ctx) => {
    const v = await rules.update(String(ctx.params.id), (await readJsonBody(ctx)) as never, actorOf(ctx)).catch(mapErrors);
    ctx.body = await recorded(ctx, 'rule.update', `rule:${ctx.params.id}`, v, { enabled: v.rules.find((r) => r.id === ctx.params.id)?.enabled });
  });
  router.delete('/rules/:id', admin, async (ctx) => {
    ctx.body = await recorded(ctx, 'rule.delete', `rule:${ctx.params.id}`, await rules.remove(String(ctx.params.id), actorOf(ctx)).catch(mapErrors));
  });

  router.get('/evaluations', admin, async (ctx) => {
    const series = q(ctx, 'series');
    if (series && !isValidUid(series)) throw httpError('invalid_uid', 'series is not a valid DICOM UID');
    ctx.body = await listEvaluations(archive.db, { seriesInstanceUid: series, outcome: q(ctx, 'outcome'), limit: Number(q(ctx, 'limit') ?? 100) });
  });
  return router;
}
