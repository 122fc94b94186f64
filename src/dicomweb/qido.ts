/**
 * QIDO-RS (PS3.18 §10.6): search for studies, series and instances in the archive index, with the
 * matching of PS3.4 §C.2.2.2 and answers in the DICOM JSON Model (PS3.18 §F.2). What is supported,
 * and how, is stated in docs/conformance-qido.md.
 *
 * qido-params.ts validates the query, qido-sql.ts turns it into one SQL query, and this file maps
 * the rows to DICOM JSON.
 */
import type { Archive } from '../archive/archive.js';
import { put, sorted, type DicomJson } from '../dicom/dicom-json.js';
import type { AttributeDef, Level } from './qido-attributes.js';
import { parseQidoQuery } from './qido-params.js';
import { buildQidoSql } from './qido-sql.js';

export type QidoLevel = 'studies' | 'series' | 'instances';

export interface QidoOptions {
  defaultLimit: number;
  maxLimit: number;
  /** DICOMweb root URL for RetrieveURL (0008,1190) values, no trailing slash. */
  wadoRoot: string;
}

export interface QidoScope {
  studyUid?: string;
  seriesUid?: string;
}

const LEVELS: Record<QidoLevel, Level> = { studies: 'study', series: 'series', instances: 'instance' };

type Row = Record<string, unknown>;

/**
 * Runs one search. `scope` holds the UIDs of the resource path (already validated by the route),
 * `query` the search parameters. Resolves to the matches in a deterministic order (possibly none);
 * rejects with `invalid_query` (400) when the query cannot be honoured.
 */
export async function qido(archive: Archive, level: QidoLevel, scope: QidoScope, query: URLSearchParams, opts: QidoOptions): Promise<DicomJson[]> {
  const search = parseQidoQuery(LEVELS[level], scope, query, opts);
  if (search.limit === 0) return [];
  const { sql, params } = buildQidoSql(search);
  const rows = (await archive.db.dataSource.query(sql, params)) as Row[];
  return rows.map((row) => toDicomJson(row, search.returned, search.level, opts.wadoRoot));
}

function toDicomJson(row: Row, attrs: readonly AttributeDef[], level: Level, wadoRoot: string): DicomJson {
  const ds: DicomJson = {};
  for (const a of attrs) {
    if (a.computed === 'online') put(ds, a.tag, a.vr, 'ONLINE');
    else if (a.computed === 'retrieveUrl') put(ds, a.tag, a.vr, retrieveUrl(row, level, wadoRoot));
    else setValue(ds, a, row[a.keyword]);
  }
  return sorted(ds);
}

/** PS3.18 §10.6.3: the WADO-RS URL of the matched study, series or instance. */
function retrieveUrl(row: Row, level: Level, wadoRoot: string): string {
  let url = `${wadoRoot}/studies/${String(row._study)}`;
  if (level !== 'study') url += `/series/${String(row._series)}`;
  if (level === 'instance') url += `/instances/${String(row._sop)}`;
  return url;
}

function setValue(ds: DicomJson, a: AttributeDef, raw: unknown): void {
  if (raw === null || raw === undefined || raw === '') {
    put(ds, a.tag, a.vr, null); // type 2 style: present, without a value (PS3.18 §F.2.5)
    return;
  }
  switch (a.vr) {
    case 'IS':
    case 'US':
      // PGlite returns counts and bigints as numbers, node-postgres as strings.
      put(ds, a.tag, a.vr, Number(raw));
      return;
    case 'PN':
      ds[a.tag] = { vr: 'PN', Value: [personName(String(raw))] };
      return;
    default:
      // ModalitiesInStudy arrives as one comma-joined text; stored multi-valued text uses "\".
      put(ds, a.tag, a.vr, String(raw).split(a.keyword === 'ModalitiesInStudy' ? ',' : '\\'));
  }
}

/** PN in DICOM JSON (PS3.18 §F.2.2): the "="-separated component groups as named members. */
function personName(value: string): Record<string, string> {
  const [alphabetic, ideographic, phonetic] = value.split('=');
  const pn: Record<string, string> = {};
  if (alphabetic) pn.Alphabetic = alphabetic;
  if (ideographic) pn.Ideographic = ideographic;
  if (phonetic) pn.Phonetic = phonetic;
  return pn;
}
