/**
 * The console's longitudinal plot data (issue 18 item 3): one line per structure (by label, the
 * Tracking Identifier; tracking UIDs are per series, so across studies the label is what links a
 * muscle), one point per study of the same patient, oldest first. Pure: the console bundles it and
 * test/console/longitudinal.test.ts checks it.
 */
export interface HistoryReport {
  resultId: string;
  studyDate: string;
  source: 'ai' | 'corrected';
  segments: { label: string; volumeMl: number; fatFractionPercent?: number | null }[];
}

export interface Line {
  label: string;
  /** x = index of the study in `studies`; y = the value. */
  points: { x: number; y: number; resultId: string; corrected: boolean }[];
}

export type Quantity = 'volumeMl' | 'fatFractionPercent';

/** Studies in date order (DA YYYYMMDD; undated last) and each label's values across them. */
export function longitudinalLines(history: readonly HistoryReport[], quantity: Quantity): { studies: HistoryReport[]; lines: Line[] } {
  const studies = [...history].sort((a, b) => (a.studyDate || '99999999').localeCompare(b.studyDate || '99999999') || Number(a.resultId) - Number(b.resultId));
  const byLabel = new Map<string, Line>();
  studies.forEach((r, x) => {
    for (const s of r.segments) {
      const y = s[quantity];
      if (y === undefined || y === null || !Number.isFinite(y)) continue;
      const line = byLabel.get(s.label) ?? { label: s.label, points: [] };
      line.points.push({ x, y, resultId: r.resultId, corrected: r.source === 'corrected' });
      byLabel.set(s.label, line);
    }
  });
  return { studies, lines: [...byLabel.values()].sort((a, b) => a.label.localeCompare(b.label)) };
}

/** DA → YYYY-MM-DD for axis labels; '' stays 'undated'. */
export const fmtStudyDate = (da: string): string => (/^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : 'undated');
