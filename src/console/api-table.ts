/**
 * Every call the console makes, as METHOD and path template of the node's documented /api/v1
 * (docs/console.md lists the same lines; test/console/api-map.test.ts checks both ways that each
 * one is documented and answered by the node). The console has no other way to reach the server.
 */
export type Role = 'reader' | 'admin';

export interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** Roles the node accepts for it (the console hides what the signed-in roles cannot do). */
  roles: readonly Role[];
  /** Whether it changes state (and so writes an audit entry). */
  change?: true;
}

const R: readonly Role[] = ['reader', 'admin'];
const A: readonly Role[] = ['admin'];

export const API = {
  me: { method: 'GET', path: '/api/v1/me', roles: R },
  rules: { method: 'GET', path: '/api/v1/rules', roles: A },
  ruleCreate: { method: 'POST', path: '/api/v1/rules', roles: A, change: true },
  ruleUpdate: { method: 'PUT', path: '/api/v1/rules/{id}', roles: A, change: true },
  ruleDelete: { method: 'DELETE', path: '/api/v1/rules/{id}', roles: A, change: true },
  ruleHistory: { method: 'GET', path: '/api/v1/rules/history', roles: A },
  ruleVersion: { method: 'GET', path: '/api/v1/rules/versions/{version}', roles: A },
  ruleRevert: { method: 'POST', path: '/api/v1/rules/versions/{version}/revert', roles: A, change: true },
  dryRun: { method: 'POST', path: '/api/v1/rules/dry-run', roles: A },
  ruleTest: { method: 'POST', path: '/api/v1/rules/test', roles: A },
  studyWaits: { method: 'GET', path: '/api/v1/study-waits', roles: A },
  destinations: { method: 'GET', path: '/api/v1/destinations', roles: A },
  destinationPut: { method: 'PUT', path: '/api/v1/destinations/{name}', roles: A, change: true },
  destinationDelete: { method: 'DELETE', path: '/api/v1/destinations/{name}', roles: A, change: true },
  destinationTest: { method: 'POST', path: '/api/v1/destinations/{name}/test', roles: A },
  destinationRetryDeadLetters: { method: 'POST', path: '/api/v1/destinations/{name}/retry-dead-letters', roles: A, change: true },
  deliveries: { method: 'GET', path: '/api/v1/deliveries', roles: A },
  deliveryStats: { method: 'GET', path: '/api/v1/deliveries/stats', roles: A },
  jobs: { method: 'GET', path: '/api/v1/jobs', roles: A },
  jobSummary: { method: 'GET', path: '/api/v1/jobs/summary', roles: A },
  jobRetry: { method: 'POST', path: '/api/v1/jobs/{id}/retry', roles: A, change: true },
  jobCancel: { method: 'POST', path: '/api/v1/jobs/{id}/cancel', roles: A, change: true },
  series: { method: 'GET', path: '/api/v1/series', roles: R },
  measurements: { method: 'GET', path: '/api/v1/results/{id}/measurements', roles: R },
  models: { method: 'GET', path: '/api/v1/models', roles: R },
  generations: { method: 'GET', path: '/api/v1/models/{id}/generations', roles: R },
  corrections: { method: 'GET', path: '/api/v1/models/{id}/corrections', roles: R },
  promote: { method: 'POST', path: '/api/v1/models/{id}/promote', roles: A, change: true },
  rollback: { method: 'POST', path: '/api/v1/models/{id}/rollback', roles: A, change: true },
  learningRuns: { method: 'GET', path: '/api/v1/learning/runs', roles: A },
  learningRun: { method: 'POST', path: '/api/v1/learning/runs', roles: A, change: true },
  status: { method: 'GET', path: '/api/v1/status', roles: R },
  audit: { method: 'GET', path: '/api/v1/audit', roles: A },
  federationStatus: { method: 'GET', path: '/api/v1/federation/status', roles: A },
  federationApprove: { method: 'POST', path: '/api/v1/federation/uploads/{id}/approve', roles: A, change: true },
  federationDecline: { method: 'POST', path: '/api/v1/federation/uploads/{id}/decline', roles: A, change: true },
} as const satisfies Record<string, ApiCall>;

export type ApiName = keyof typeof API;

/** The path with `{param}`s filled in (each URI-encoded) and an optional query. */
export function pathOf(name: ApiName, params: Record<string, string | number> = {}, query: Record<string, string | number | undefined> = {}): string {
  const p = API[name].path.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (params[k] === undefined) throw new Error(`${name}: missing ${k}`);
    return encodeURIComponent(String(params[k]));
  });
  const qs = Object.entries(query).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return qs.length ? `${p}?${qs.join('&')}` : p;
}
