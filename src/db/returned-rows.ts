/**
 * The rows of an `UPDATE` / `DELETE ... RETURNING` run through TypeORM's `query()`: its postgres
 * driver answers those as `[rows, affectedCount]`, a SELECT (and the PGlite pool) as plain rows.
 * One place for that shape, so callers count and read returned rows the same way.
 */
export function returnedRows<T = unknown>(result: unknown): T[] {
  if (!Array.isArray(result)) return [];
  return Array.isArray(result[0]) ? (result[0] as T[]) : (result as T[]);
}
