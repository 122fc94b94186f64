/**
 * The Dafne review panel: the open study's AI results (model, generation, when, status) with
 * Load (editable labelmap), Brush / Eraser, Accept, Save correction and Reject (with a reason).
 * Rendered by the viewer's own React (src/shims/react.ts), inside OHIF's right panel.
 */
import React from 'react';
import { listResults, submitReview, whoAmI, type AiResult, type Review } from './api.js';
import type { ExtensionParams } from './ohif-types.js';
import { PANEL_ID } from './ids.js';
import { activateTool, loadAsLabelmap, loadedSegmentation, storeCorrection } from './seg-actions.js';

const BRUSH_MM = 4;

function studyUid(p: ExtensionParams): string | undefined {
  const fromUrl = new URLSearchParams(window.location.search).get('StudyInstanceUIDs')?.split(',')[0];
  return fromUrl || p.servicesManager.services.displaySetService.getActiveDisplaySets()[0]?.StudyInstanceUID;
}

const btn: React.CSSProperties = { padding: '2px 8px', margin: '2px 4px 2px 0', borderRadius: 4, border: '1px solid #3a4a6b', background: '#1b2a4a', color: '#e6e8ef', cursor: 'pointer' };

function ResultRow(props: { p: ExtensionParams; r: AiResult; onDone: (review: Review) => void }) {
  const { p, r, onDone } = props;
  // Derived from OHIF's state, not kept here: the segmentation mode switches tabs when a
  // segmentation is added, which unmounts this panel.
  const [, rerender] = React.useState(0);
  const segmentationId = loadedSegmentation(p, r);
  React.useEffect(() => {
    const { segmentationService } = p.servicesManager.services;
    const subs = ['SEGMENTATION_ADDED', 'SEGMENTATION_REMOVED'].filter((e) => segmentationService.EVENTS?.[e]).map((e) => segmentationService.subscribe(segmentationService.EVENTS[e]!, () => rerender((n) => n + 1)));
    return () => subs.forEach((s) => s.unsubscribe());
  }, [p]);
  const [busy, setBusy] = React.useState<string>();
  const [reason, setReason] = React.useState('');
  const [error, setError] = React.useState<string>();
  const run = (what: string, fn: () => Promise<void>) => async () => {
    setBusy(what);
    setError(undefined);
    try {
      await fn();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  const load = run('loading', async () => {
    await loadAsLabelmap(p, r);
    rerender((n) => n + 1);
    // Adding a segmentation switches the right panel to OHIF's labelmap panel; come back.
    p.servicesManager.services.panelService.activatePanel(PANEL_ID, true);
  });
  const review = (body: Record<string, unknown>) => submitReview(r.id, body).then((x) => onDone(x.review));
  const accept = run('accepting', () => review({ action: 'accept' }));
  const reject = run('rejecting', () => review({ action: 'reject', reason }));
  const save = run('saving', async () => {
    if (!segmentationId) throw new Error('load the result first');
    const stored = await storeCorrection(p, segmentationId, r);
    await review({ action: 'correct', correctedSopInstanceUid: stored.sopInstanceUid });
  });
  const pending = r.status === 'pending';
  return (
    <li data-dafne-result={r.id} data-status={r.status} style={{ borderBottom: '1px solid #2a3150', padding: '6px 0', listStyle: 'none' }}>
      <div>
        <b>{r.modelId}</b> gen {r.generation} · {new Date(r.createdAt).toLocaleString()} · <span data-dafne-status>{r.status}</span>
      </div>
      {r.outcome === 'skipped' && <div data-dafne-skip-reason style={{ opacity: 0.8 }}>{r.reason}</div>}
      {pending && (
        <div>
          <button style={btn} data-dafne-action="load" disabled={!!busy} onClick={load}>{segmentationId ? 'Reload' : 'Load'}</button>
          {segmentationId && (
            <>
              <button style={btn} data-dafne-action="brush" onClick={() => activateTool(p, 'CircularBrush', BRUSH_MM)}>Brush</button>
              <button style={btn} data-dafne-action="eraser" onClick={() => activateTool(p, 'CircularEraser', BRUSH_MM)}>Eraser</button>
            </>
          )}
          <br />
          <button style={btn} data-dafne-action="accept" disabled={!!busy} onClick={accept}>Accept</button>
          <button style={btn} data-dafne-action="save" disabled={!!busy || !segmentationId} onClick={save}>Save correction</button>
          <br />
          <input data-dafne-reason placeholder="Reason for rejecting" value={reason} onChange={(e) => setReason(e.target.value)} style={{ width: '60%', background: '#0b1020', color: '#e6e8ef', border: '1px solid #3a4a6b' }} />
          <button style={btn} data-dafne-action="reject" disabled={!!busy || !reason.trim()} onClick={reject}>Reject</button>
        </div>
      )}
      {busy && <div data-dafne-busy>{busy}…</div>}
      {segmentationId && pending && <div data-dafne-loaded={segmentationId}>Labelmap loaded: confirm “Yes” on the viewer's prompt, edit with Brush / Eraser, then Save correction.</div>}
      {error && <div data-dafne-error style={{ color: '#ff6b6b' }}>{error}</div>}
    </li>
  );
}

let lastReview: Review | undefined;

export function ReviewPanel(p: ExtensionParams) {
  const [results, setResults] = React.useState<AiResult[]>();
  const [reader, setReader] = React.useState<string>();
  const [error, setError] = React.useState<string>();
  // Module-level, like the loaded labelmap: the segmentation mode may switch tabs (unmounting
  // this panel) while a save is in flight.
  const [last, setLast] = React.useState<Review | undefined>(lastReview);
  const study = studyUid(p);
  const refresh = React.useCallback(() => {
    if (!study) return;
    listResults(study).then(setResults, (e: Error) => setError(e.message));
  }, [study]);
  React.useEffect(() => {
    refresh();
    whoAmI().then((me) => setReader(me.name), () => setReader(undefined));
  }, [refresh]);
  return (
    <div data-dafne-panel style={{ padding: 8, color: '#e6e8ef', fontSize: 13, overflowY: 'auto' }}>
      <div style={{ fontWeight: 600, marginBottom: 4 }}>Dafne review</div>
      {reader && <div data-dafne-reader style={{ opacity: 0.8 }}>Reader: {reader}</div>}
      {error && <div data-dafne-error style={{ color: '#ff6b6b' }}>{error}</div>}
      {!study && <div>No study open.</div>}
      {results && results.length === 0 && <div>No AI results for this study.</div>}
      <ul data-dafne-results={results ? 'ready' : 'loading'} style={{ padding: 0 }}>
        {results?.map((r) => (
          <ResultRow key={r.id} p={p} r={r} onDone={(review) => { lastReview = review; setLast(review); refresh(); p.servicesManager.services.panelService.activatePanel(PANEL_ID, true); }} />
        ))}
      </ul>
      {last && (
        <div data-dafne-last-review={last.action}>
          Recorded: {last.action} by {last.reader}
          {last.dice && <> · Dice {last.dice.map((d) => `${d.label} ${d.dice.toFixed(3)}`).join(', ')}</>}
        </div>
      )}
    </div>
  );
}
