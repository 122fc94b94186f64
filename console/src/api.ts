import { API, pathOf, type ApiName, type Role } from '../../src/console/api-table.js';

/** The same tab-scoped key the /review page uses: signing in on one signs in on the other. */
export const TOKEN_KEY = 'dafne.token';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string): void => sessionStorage.setItem(TOKEN_KEY, t),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export interface CallOptions {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

/** One documented API call (api-table.ts) with the signed-in token; errors carry the node's message. */
export async function call<T = unknown>(name: ApiName, opts: CallOptions = {}): Promise<T> {
  const def = API[name];
  const headers: Record<string, string> = { Accept: 'application/json' };
  const t = token.get();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(pathOf(name, opts.params, opts.query), { method: def.method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = json as { error?: string; message?: string } | undefined;
    throw new ApiError(res.status, e?.error ?? String(res.status), e?.message ?? (text.slice(0, 200) || res.statusText));
  }
  return json as T;
}

export const can = (roles: readonly string[], name: ApiName): boolean => (API[name].roles as readonly Role[]).some((r) => roles.includes(r));
