/**
 * What the panel asks OHIF to do, through OHIF's own services and commands: load an AI SEG as an
 * editable labelmap, pick the brush / eraser, and store the edited labelmap as a new SEG by
 * STOW-RS to the node (generateSegmentation + createStoreFunction, without the dialog).
 */
import { DATA_SOURCE } from './ids.js';
import type { AiResult } from './api.js';
import type { DisplaySet, ExtensionParams } from './ohif-types.js';
import { repairSegDataset, type SourceInstance } from './seg-repair.js';

function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      const v = probe();
      if (v !== undefined) return resolve(v);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 100);
    };
    tick();
  });
}

export function segDisplaySet(p: ExtensionParams, r: AiResult): DisplaySet | undefined {
  return p.servicesManager.services.displaySetService.getActiveDisplaySets().find((d) => d.SeriesInstanceUID === r.segSeriesInstanceUid && d.Modality === 'SEG');
}

/** The segmentation id of the result's SEG if it is loaded in the viewer (survives panel remounts). */
export function loadedSegmentation(p: ExtensionParams, r: AiResult): string | undefined {
  const ds = segDisplaySet(p, r);
  return ds && p.servicesManager.services.segmentationService.getSegmentation(ds.displaySetInstanceUID) ? ds.displaySetInstanceUID : undefined;
}

/**
 * Loads the AI SEG into the active viewport as a labelmap over its source image, as a reader's
 * drag of the SEG thumbnail does. OHIF then asks "Do you want to open this Segmentation?"; the
 * reader's "Yes" hydrates it for editing (OHIF's own step, kept so the reader sees what opens).
 * Resolves with the segmentation id (3.13 names it after the display set).
 */
export async function loadAsLabelmap(p: ExtensionParams, r: AiResult): Promise<string> {
  const { segmentationService, viewportGridService } = p.servicesManager.services;
  const ds = await waitFor('the AI SEG display set', () => segDisplaySet(p, r));
  const viewportId = viewportGridService.getActiveViewportId();
  await p.commandsManager.runCommand('loadSegmentationDisplaySetsForViewport', { viewportId, displaySetInstanceUIDs: [ds.displaySetInstanceUID] });
  await waitFor('the SEG to load', () => (segmentationService.getSegmentation(ds.displaySetInstanceUID) ? true : undefined));
  return ds.displaySetInstanceUID;
}

/** Activates OHIF's CircularBrush / CircularEraser (segmentation mode tool group) with a size in mm. */
export function activateTool(p: ExtensionParams, tool: 'CircularBrush' | 'CircularEraser', sizeMm: number): void {
  p.commandsManager.runCommand('setToolActive', { toolName: tool, toolGroupId: 'default' });
  p.commandsManager.runCommand('setBrushSize', { value: sizeMm });
}

/** Stores the labelmap as a new SEG series by STOW-RS; returns its SOP Instance UID. */
export async function storeCorrection(p: ExtensionParams, segmentationId: string, r: AiResult): Promise<{ sopInstanceUid: string; seriesInstanceUid: string }> {
  const storeFn = p.commandsManager.runCommand('createStoreFunction', { dataSource: DATA_SOURCE, defaultFileName: 'correction.dcm' }) as
    | ((dataset: Record<string, unknown>, opts: Record<string, unknown>) => Promise<unknown>)
    | undefined;
  if (!storeFn) throw new Error(`no store function for the data source "${DATA_SOURCE}"`);
  const generated = (await whileSourceLoads(() =>
    p.commandsManager.runCommand('generateSegmentation', {
      segmentationId,
      options: { dataSource: DATA_SOURCE, SeriesDescription: `Dafne correction of ${r.modelId} gen ${r.generation}`.slice(0, 64), SeriesNumber: 2000 + Number(r.id) % 1000 },
    }),
  )) as { dataset?: Record<string, unknown> } | undefined;
  const dataset = generated?.dataset;
  if (!dataset) throw new Error('OHIF generated no SEG dataset');
  // dcmjs puts a placeholder Study ID; the source's is unknown here, so leave it empty (type 2).
  if (dataset.StudyID === 'No Study ID') dataset.StudyID = '';
  repairSegDataset(dataset, sourceInstances(p, r));
  await storeFn(dataset, {});
  return { sopInstanceUid: String(dataset.SOPInstanceUID), seriesInstanceUid: String(dataset.SeriesInstanceUID) };
}

/**
 * OHIF's SEG writer reads every referenced source image from cornerstone's image cache and throws
 * "Referenced source image not in cache" for a slice the viewer has not loaded yet (its stack
 * prefetch fills the cache in the background). A reader who saves before that finishes would lose
 * the save, so wait for the cache and try again, with a deadline; any other error goes straight up.
 */
async function whileSourceLoads<T>(generate: () => Promise<T> | T, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await generate();
    } catch (e) {
      if (!/not in cache/i.test(String((e as Error)?.message ?? e)) || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** SOP Class and frame count of each source instance, from the viewer's metadata. */
function sourceInstances(p: ExtensionParams, r: AiResult): Map<string, SourceInstance> {
  const out = new Map<string, SourceInstance>();
  for (const ds of p.servicesManager.services.displaySetService.getActiveDisplaySets()) {
    if (ds.SeriesInstanceUID !== r.sourceSeriesInstanceUid) continue;
    for (const i of ds.instances ?? []) out.set(i.SOPInstanceUID, { sopClassUid: i.SOPClassUID, frames: Number(i.NumberOfFrames ?? 1) || 1 });
  }
  return out;
}
