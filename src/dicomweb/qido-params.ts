/**
 * QIDO-RS query parameters (PS3.18 §8.3.4, §10.6.1.2) → a typed search. Every value is validated
 * here, so the SQL builder only ever sees well-formed dates, times, numbers and UIDs; anything the
 * node cannot honour is a 400 `invalid_query` naming the offending key.
 */
import { isValidUid } from '../dicom/uids.js';
import { httpError } from '../http/errors.js';
import { ATTRIBUTES, findAttribute, LEVEL_RANK, type AttributeDef, type Level } from './qido-attributes.js';

/** One matching condition (PS3.4 §C.2.2.2). */
export type Match =
  /** Any of `values` (multiple value matching); each may hold `*` / `?` wildcards. */
  | { kind: 'text'; values: string[]; caseInsensitive: boolean }
  /** Inclusive range; a single value is the range [v, v]. Times match by prefix at the upper end. */
  | { kind: 'date' | 'time'; from?: string; to?: string }
  | { kind: 'uid'; values: string[] }
  | { kind: 'int'; value: number };

export interface Condition {
  attr: AttributeDef;
  match: Match;
}

export interface QidoSearch {
  level: Level;
  scope: { studyUid?: string; seriesUid?: string };
  conditions: Condition[];
  /** Attributes to return, in ascending tag order. */
  returned: AttributeDef[];
  limit: number;
  offset: number;
  /** PS3.18 §8.3.4.5 / PS3.4 §C.2.2.2.7: entities where the attribute is empty match as well. */
  emptyValueMatching: boolean;
}

export interface Paging {
  defaultLimit: number;
  maxLimit: number;
}

const invalid = (message: string) => httpError('invalid_query', message);

/** Parses and validates the query of a search at `level`. */
export function parseQidoQuery(level: Level, scope: QidoSearch['scope'], query: URLSearchParams, paging: Paging): QidoSearch {
  const rank = LEVEL_RANK[level];
  const conditions: Condition[] = [];
  const wanted = new Set<AttributeDef>(ATTRIBUTES.filter((a) => a.defaultAt.includes(level)));
  let includeAll = false;
  let limit = paging.defaultLimit;
  let offset = 0;
  let emptyValueMatching = false;
  const seen = new Set<string>();

  for (const [key, value] of query) {
    switch (key.toLowerCase()) {
      case 'includefield':
        for (const field of value.split(',').map((f) => f.trim())) {
          if (field === '') continue;
          if (field === 'all') includeAll = true;
          else {
            const attr = includeField(field);
            if (attr && LEVEL_RANK[attr.level] <= rank) wanted.add(attr);
          }
        }
        continue;
      case 'limit':
        limit = Math.min(count(key, value), paging.maxLimit);
        continue;
      case 'offset':
        offset = count(key, value);
        continue;
      case 'fuzzymatching':
        // Fuzzy matching is optional (PS3.18 §8.3.4.2); the node never does it, so `true` is ignored.
        if (value !== 'true' && value !== 'false') throw invalid('fuzzymatching must be true or false');
        continue;
      case 'emptyvaluematching':
        if (value !== 'true' && value !== 'false') throw invalid('emptyvaluematching must be true or false');
        emptyValueMatching = value === 'true';
        continue;
    }
    const attr = findAttribute(key);
    if (!attr) throw invalid(`${JSON.stringify(key.slice(0, 80))} is not a supported query key (an attribute keyword or tag, includefield, limit, offset, fuzzymatching or emptyvaluematching)`);
    if (seen.has(attr.keyword)) throw invalid(`${attr.keyword} is given more than once; list several values in one parameter instead`);
    seen.add(attr.keyword);
    // A value of only "*" is universal matching too (PS3.4 §C.2.2.2.3).
    const universal = value === '' || value === '*';
    if (LEVEL_RANK[attr.level] > rank) {
      if (universal) continue; // asks to return an attribute this level does not have
      throw invalid(`${attr.keyword} is a ${attr.level}-level attribute; it cannot be matched in a ${level}-level search (relational queries are not supported)`);
    }
    wanted.add(attr);
    if (universal) continue;
    if (!attr.match) throw invalid(`${attr.keyword} is a return attribute only, not a matching key; give it an empty value or use includefield`);
    conditions.push({ attr, match: parseMatch(attr, value) });
  }

  if (includeAll) for (const a of ATTRIBUTES) if (LEVEL_RANK[a.level] <= rank) wanted.add(a);
  const returned = [...wanted].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  return { level, scope, conditions, returned, limit, offset, emptyValueMatching };
}

/**
 * An includefield value: a known keyword or tag. Other well-formed keywords and tags are attributes
 * the index does not hold; they are ignored, as for any attribute absent from the matches.
 */
function includeField(field: string): AttributeDef | undefined {
  const attr = findAttribute(field);
  if (attr) return attr;
  if (/^[0-9A-Fa-f]{8}$/.test(field) || /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(field)) return undefined;
  throw invalid(`includefield: ${JSON.stringify(field.slice(0, 80))} is not an attribute keyword, a tag (8 hex digits) or "all"`);
}

function count(key: string, value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw invalid(`${key} must be a non-negative integer`);
  return Number(value);
}

function parseMatch(attr: AttributeDef, value: string): Match {
  switch (attr.match!) {
    case 'text':
      return { kind: 'text', values: listOf(attr, value.split('\\')), caseInsensitive: false };
    case 'pn':
      return { kind: 'text', values: listOf(attr, value.split('\\')), caseInsensitive: true };
    case 'code':
      // CS values cannot hold commas (PS3.5 §6.2), so "MR,CT" is as unambiguous as "MR\CT".
      return { kind: 'text', values: listOf(attr, value.split(/[\\,]/)), caseInsensitive: false };
    case 'uid': {
      const values = listOf(attr, value.split(/[\\,]/));
      for (const uid of values) if (!isValidUid(uid)) throw invalid(`${attr.keyword}: ${JSON.stringify(String(uid).slice(0, 80))} is not a valid UID (PS3.5 §9.1)`);
      return { kind: 'uid', values };
    }
    case 'int':
      if (!/^[+-]?\d{1,10}$/.test(value) || Math.abs(Number(value)) >= 2 ** 31) throw invalid(`${attr.keyword} must be an integer`);
      return { kind: 'int', value: Number(value) };
    case 'date':
      return range(attr, value, checkDate);
    case 'time':
      return range(attr, value, checkTime);
  }
}

function listOf(attr: AttributeDef, values: string[]): string[] {
  if (values.some((v) => v === '')) throw invalid(`${attr.keyword}: empty value in a list`);
  return values;
}

/** Range matching (PS3.4 §C.2.2.2.5): `A`, `A-B`, `-B` or `A-`. */
function range(attr: AttributeDef, value: string, check: (v: string) => boolean): Match {
  const kind = attr.match === 'date' ? 'date' : 'time';
  const parts = value.split('-');
  if (parts.length > 2 || (parts.length === 2 && parts[0] === '' && parts[1] === '')) throw invalid(`${attr.keyword}: ${JSON.stringify(value.slice(0, 40))} is not a value or a range`);
  const [from, to] = parts.length === 1 ? [parts[0]!, parts[0]!] : [parts[0]!, parts[1]!];
  const what = kind === 'date' ? 'dates are YYYYMMDD' : 'times are HH, HHMM, HHMMSS or HHMMSS.FFFFFF';
  for (const v of [from, to]) if (v !== '' && !check(v)) throw invalid(`${attr.keyword}: ${JSON.stringify(v.slice(0, 40))} is not valid (${what}, PS3.5 §6.2)`);
  // Compared on the upper bound's precision: "0930-09" is 09:30 to 09:59:59.999999.
  if (from !== '' && to !== '' && from.slice(0, to.length) > to) throw invalid(`${attr.keyword}: the range starts after it ends`);
  return { kind, from: from || undefined, to: to || undefined };
}

function checkDate(v: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function checkTime(v: string): boolean {
  return /^([01]\d|2[0-3])([0-5]\d([0-5]\d(\.\d{1,6})?)?)?$/.test(v);
}
