import type { SegOptions } from '../routing/rule-types.js';
import { writeSeg } from '../seg/seg-writer.js';
import type { ModelPackage } from './model-package.js';
import { segSeriesInfo, sourceAttributes, type SegmentSeriesResult } from './segment-series.js';

/** The canonical key of a destination's SEG options: destinations with equal options share one SEG. */
export const variantKey = (o: SegOptions | undefined): string => {
  if (!o || (o.labels === undefined && o.seriesDescription === undefined)) return 'default';
  return JSON.stringify({ labels: o.labels ? [...o.labels].sort() : undefined, seriesDescription: o.seriesDescription });
};

/**
 * A SEG for a destination's options, made from the same label volume as the default SEG:
 * `labels` keeps only the named segments, renumbered 1..k (Segment Numbers start at 1 and increase
 * by 1, PS3.3 C.8.20.2); `seriesDescription` replaces the default one. Same equipment and algorithm
 * as the default SEG, so it is recognised as this node's own result too.
 */
export function segVariant(result: SegmentSeriesResult, firstSource: Buffer, pkg: ModelPackage, o: SegOptions, softwareVersion: string, revision = 1): Buffer {
  const keep = o.labels ? result.segments.filter((s) => o.labels!.some((l) => l.toLowerCase() === s.label.toLowerCase())) : result.segments;
  if (keep.length === 0) throw new Error(`SEG options name no label of the model (labels: ${result.segments.map((s) => s.label).join(', ')})`);
  const renumber = new Uint8Array(256);
  keep.forEach((s, i) => (renumber[s.labelValue] = i + 1));
  const data = new Uint8Array(result.labels.data.length);
  for (let i = 0; i < data.length; i++) data[i] = renumber[result.labels.data[i]!]!;
  const { source, seriesNumber } = sourceAttributes(firstSource);
  const card = pkg.card;
  return writeSeg({
    labels: { ...result.labels, data },
    segments: keep.map((s, i) => ({ ...s, labelValue: i + 1 })),
    algorithm: { type: 'AUTOMATIC', name: `Dafne ${card.name}`.slice(0, 64), version: `generation ${card.generation} (${pkg.sha256.slice(0, 12)})` },
    source,
    series: segSeriesInfo(card, (seriesNumber ?? 0) + 1000, revision, o.seriesDescription),
    equipment: { manufacturerModelName: 'Dafne Node', softwareVersions: softwareVersion, deviceSerialNumber: pkg.sha256.slice(0, 16) },
  });
}
