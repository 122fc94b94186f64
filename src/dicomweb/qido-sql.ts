/**
 * A QIDO-RS search → one parameterised SQL query over the archive index. Request values only ever
 * travel as bind parameters; the SQL text is assembled from the constant fragments of the attribute
 * catalog. Shape:
 *
 *   SELECT q.*, <counts for this page's rows> FROM (
 *     SELECT <columns> FROM <joins> WHERE <matching> ORDER BY <order> LIMIT $n OFFSET $m
 *   ) q ORDER BY <order>
 *
 * so the correlated count subqueries run only for the rows returned, however many match.
 */
import type { Level } from './qido-attributes.js';
import type { Condition, QidoSearch } from './qido-params.js';

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

const FROM: Record<Level, string> = {
  study: 'study st JOIN patient p ON p.id = st.patient_fk',
  series: 'series se JOIN study st ON st.id = se.study_fk JOIN patient p ON p.id = st.patient_fk',
  instance: 'instance i JOIN series se ON se.id = i.series_fk JOIN study st ON st.id = se.study_fk JOIN patient p ON p.id = st.patient_fk',
};

/** Ids and UIDs every row carries (for counts and RetrieveURL), by level. */
const KEYS: Record<Level, string[]> = {
  study: ['st.id AS _st', 'st.study_instance_uid AS _study'],
  series: ['st.id AS _st', 'se.id AS _se', 'st.study_instance_uid AS _study', 'se.series_instance_uid AS _series'],
  instance: ['st.id AS _st', 'se.id AS _se', 'st.study_instance_uid AS _study', 'se.series_instance_uid AS _series', 'i.sop_instance_uid AS _sop'],
};

/**
 * Deterministic order: studies newest first (date, time, then insertion); series and instances
 * grouped under their study in that order, then by number (absent numbers last), then insertion.
 */
const STUDY_ORDER: Array<[string, string]> = [
  ['st.study_date', 'DESC NULLS LAST'],
  ['st.study_time', 'DESC NULLS LAST'],
  ['st.id', 'ASC'],
];
const SERIES_ORDER: Array<[string, string]> = [...STUDY_ORDER, ['se.series_number', 'ASC NULLS LAST'], ['se.id', 'ASC']];
const ORDER: Record<Level, Array<[string, string]>> = {
  study: STUDY_ORDER,
  series: SERIES_ORDER,
  instance: [...SERIES_ORDER, ['i.instance_number', 'ASC NULLS LAST'], ['i.id', 'ASC']],
};

export function buildQidoSql(search: QidoSearch): SqlQuery {
  const params: unknown[] = [];
  const bind = (value: unknown, cast: string): string => {
    params.push(value);
    return `$${params.length}::${cast}`;
  };

  const where: string[] = [];
  if (search.scope.studyUid !== undefined) where.push(`st.study_instance_uid = ${bind(search.scope.studyUid, 'text')}`);
  if (search.scope.seriesUid !== undefined) where.push(`se.series_instance_uid = ${bind(search.scope.seriesUid, 'text')}`);
  for (const c of search.conditions) where.push(condition(c, bind, search.emptyValueMatching));

  const order = ORDER[search.level];
  const inner = [
    ...KEYS[search.level],
    ...order.map(([expr], n) => `${expr} AS _o${n}`),
    // Aliases are catalog keywords (letters only), never request text.
    ...search.returned.filter((a) => a.column).map((a) => `${a.column} AS "${a.keyword}"`),
  ];
  const outer = ['q.*', ...search.returned.filter((a) => a.derived).map((a) => `${a.derived} AS "${a.keyword}"`)];

  const sql = [
    `SELECT ${outer.join(', ')} FROM (`,
    `SELECT ${inner.join(', ')} FROM ${FROM[search.level]}`,
    where.length ? `WHERE ${where.join(' AND ')}` : '',
    `ORDER BY ${order.map(([expr, dir]) => `${expr} ${dir}`).join(', ')}`,
    `LIMIT ${bind(search.limit, 'bigint')} OFFSET ${bind(search.offset, 'bigint')}`,
    `) q ORDER BY ${order.map(([, dir], n) => `q._o${n} ${dir}`).join(', ')}`,
  ]
    .filter(Boolean)
    .join('\n');
  return { sql, params };
}

type Bind = (value: unknown, cast: string) => string;

function condition({ attr, match }: Condition, bind: Bind, emptyMatches: boolean): string {
  const column = attr.via?.column ?? attr.column!;
  let test: string;
  switch (match.kind) {
    case 'text': {
      // Multiple value matching (PS3.4 §C.2.2.2.8): any of the values.
      const terms = match.values.map((v) => {
        const wild = /[*?]/.test(v);
        const value = bind(wild ? likePattern(v) : v, 'text');
        const [col, val] = match.caseInsensitive ? [`lower(${column})`, `lower(${value})`] : [column, value];
        return wild ? `${col} LIKE ${val} ESCAPE '\\'` : `${col} = ${val}`;
      });
      test = terms.length === 1 ? terms[0]! : `(${terms.join(' OR ')})`;
      break;
    }
    case 'uid':
      test = `${column} = ANY(${bind(match.values, 'text[]')})`;
      break;
    case 'int':
      test = `${column} = ${bind(match.value, 'int')}`;
      break;
    case 'date': {
      // DA is stored as YYYYMMDD text, so text order is date order.
      const terms: string[] = [];
      if (match.from !== undefined && match.from === match.to) terms.push(`${column} = ${bind(match.from, 'text')}`);
      else {
        if (match.from !== undefined) terms.push(`${column} >= ${bind(match.from, 'text')}`);
        if (match.to !== undefined) terms.push(`${column} <= ${bind(match.to, 'text')}`);
      }
      test = terms.join(' AND ');
      break;
    }
    case 'time': {
      // TM text orders like time; the upper bound counts at its own precision ("10" = until 10:59:59.999999).
      const terms: string[] = [];
      if (match.from !== undefined) terms.push(`${column} >= ${bind(match.from, 'text')}`);
      if (match.to !== undefined) terms.push(`left(${column}, ${bind(match.to.length, 'int')}) <= ${bind(match.to, 'text')}`);
      test = terms.join(' AND ');
      break;
    }
  }
  if (emptyMatches) test = `(${test} OR ${column} IS NULL)`; // the index stores empty values as NULL
  return attr.via ? `EXISTS (SELECT 1 FROM ${attr.via.from} WHERE ${attr.via.link} AND ${test})` : test;
}

/** PS3.4 §C.2.2.2.4 wildcards → a LIKE pattern: `*` any run, `?` one character; LIKE's own escaped. */
export function likePattern(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}
