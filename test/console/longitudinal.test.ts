import test from 'ava';
import { fmtStudyDate, longitudinalLines } from '../../src/console/longitudinal.js';

test('longitudinal lines: studies by date, one line per label, missing values left out, corrected marked', (t) => {
  const { studies, lines } = longitudinalLines(
    [
      { resultId: '7', studyDate: '20260301', source: 'ai', segments: [{ label: 'soleus', volumeMl: 110 }, { label: 'gastrocnemius', volumeMl: 90, fatFractionPercent: null }] },
      { resultId: '3', studyDate: '20250101', source: 'corrected', segments: [{ label: 'soleus', volumeMl: 120 }] },
      { resultId: '9', studyDate: '', source: 'ai', segments: [{ label: 'soleus', volumeMl: 100 }] },
    ],
    'volumeMl',
  );
  t.deepEqual(studies.map((s) => s.resultId), ['3', '7', '9']);
  t.deepEqual(lines.map((l) => l.label), ['gastrocnemius', 'soleus']);
  t.deepEqual(lines[1]!.points.map((p) => [p.x, p.y, p.corrected]), [[0, 120, true], [1, 110, false], [2, 100, false]]);
  t.deepEqual(lines[0]!.points.map((p) => p.x), [1]);
  t.is(longitudinalLines(studies, 'fatFractionPercent').lines.length, 0, 'null fat fractions are no points');
  t.is(fmtStudyDate('20250101'), '2025-01-01');
  t.is(fmtStudyDate(''), 'undated');
});
