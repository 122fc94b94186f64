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
import { referenceIssues, type RuleIssue } from './rule-references.js';
import { testRules } from './rule-tester.js';
import { listStudyWaits } from './study-waits.js';
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

const TestBody = z
  .object({
    seriesInstanceUid: z.string().refine(isValidUid, 'not a UID'),
    /** A draft rule tried beside the current set (replacing a rule of the same id). */
    rule: z.unknown().optional(),
  })
  .strict();

const bodyError = (issues: readonly { path: PropertyKey[]; message: string }[]): never => {
  throw httpError('bad_request', issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
};

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
  /**
   * The rules a dry-run or a test evaluates: `rules` or the current set, plus the draft `rule`. A
   * schema error is a 400 (there is no rule to evaluate); reference problems are not: they are
   * reported in `issues` (what saving would refuse). The set's rules keep their index in paths
   * (`rules[2].model`); the draft is `rule.model`.
   */
  const withDraft = async (b: { rules?: unknown; rule?: unknown }): Promise<{ set: Rule[]; focus: Rule | undefined; issues: RuleIssue[]; installed: string[] }> => {
    let set: Rule[] = [];
    let focus: Rule | undefined;
    try {
      set = b.rules !== undefined ? parseRuleSet(b.rules) : (await rules.current()).rules;
      if (b.rule !== undefined) focus = parseRule(b.rule);
    } catch (err) {
      mapErrors(err);
    }
    const refs = await rules.referencesNow();
    const issues = [...referenceIssues(set, refs).filter((x) => x.rule !== focus?.id), ...(focus ? referenceIssues([focus], refs, () => 'rule') : [])];
    return { set, focus, issues, installed: [...refs.models.keys()] };
  };
  router.post('/rules/dry-run', admin, async (ctx) => {
    const parsed = DryRunBody.safeParse(await readJsonBody(ctx, 1024 * 1024));
    if (!parsed.success) bodyError(parsed.error.issues);
    const b = parsed.data!;
    const { set: base, focus, issues, installed } = await withDraft(b);
    const set = focus ? [...base.filter((r) => r.id !== focus.id), focus] : base;
    const series = b.seriesInstanceUids ?? (await recentSeries(archive, b.limit));
    ctx.body = { ...(await dryRun({ archive, models, installed }, set, series, focus?.id)), issues };
  });
  // The rule tester: every rule (and a draft) against one stored series, each with its verdict.
  router.post('/rules/test', admin, async (ctx) => {
    const parsed = TestBody.safeParse(await readJsonBody(ctx, 1024 * 1024));
    if (!parsed.success) bodyError(parsed.error.issues);
    const b = parsed.data!;
    const { set, focus, issues, installed } = await withDraft(b);
    const result = await testRules({ archive, models, installed }, set, b.seriesInstanceUid, focus);
    if (!result) throw httpError('not_found', 'no stored series with this seriesInstanceUid');
    ctx.body = { ...result, issues };
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
  router.get('/study-waits', admin, async (ctx) => {
    const study = q(ctx, 'study');
    if (study && !isValidUid(study)) throw httpError('invalid_uid', 'study is not a valid DICOM UID');
    ctx.body = await listStudyWaits(archive.db, { study, state: q(ctx, 'state'), rule: q(ctx, 'rule'), limit: Number(q(ctx, 'limit') ?? 100) });
  });
  return router;
}
