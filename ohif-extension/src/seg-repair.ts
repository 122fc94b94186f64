/**
 * Fixes what OHIF 3.13's SEG writer (dcmjs, via generateSegmentation) leaves out, so the corrected
 * SEG the reader stores is a valid Segmentation (dciodvfy-clean; PS3.3 C.7.6.16.2.6 Derivation
 * Image Macro, C.10.4 SOP Instance Reference Macro, PS3.10 §7.1 File Meta Information):
 * - Derivation Code Sequence (DCM 113076 "Segmentation") in each Derivation Image item;
 * - Referenced SOP Class UID and Purpose of Reference (DCM 121322) in each Source Image item, and
 *   no Referenced Frame Number when the source instance is single-frame;
 * - File Meta Information Version (0002,0001) = 00\01.
 * Works on the naturalized dataset (dcmjs), where a one-item sequence may be an object or an array.
 */
export interface SourceInstance {
  sopClassUid: string;
  frames: number;
}

type Item = Record<string, unknown>;
const items = (v: unknown): Item[] => (Array.isArray(v) ? (v as Item[]) : v && typeof v === 'object' ? [v as Item] : []);

const SEGMENTATION_DERIVATION = { CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' };
const SOURCE_FOR_PROCESSING = { CodeValue: '121322', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Source image for image processing operation' };

export function repairSegDataset(ds: Item, sources: Map<string, SourceInstance>): void {
  for (const frame of items(ds.PerFrameFunctionalGroupsSequence)) {
    for (const derivation of items(frame.DerivationImageSequence)) {
      if (items(derivation.DerivationCodeSequence).length === 0) derivation.DerivationCodeSequence = [{ ...SEGMENTATION_DERIVATION }];
      for (const src of items(derivation.SourceImageSequence)) {
        const info = sources.get(String(src.ReferencedSOPInstanceUID));
        if (info && !src.ReferencedSOPClassUID) src.ReferencedSOPClassUID = info.sopClassUid;
        if (items(src.PurposeOfReferenceCodeSequence).length === 0) src.PurposeOfReferenceCodeSequence = [{ ...SOURCE_FOR_PROCESSING }];
        if (info && info.frames <= 1) delete src.ReferencedFrameNumber;
      }
    }
  }
  keepFileMetaVersion(ds);
}

/**
 * OHIF 3.13's store path first registers the dataset locally, which (dcmjs datasetToDict) replaces
 * `_meta` with a naturalized one whose FileMetaInformationVersion is a bare ArrayBuffer; the STOW
 * path then reads `_meta.FileMetaInformationVersion.Value` and so writes no (0002,0001). An
 * accessor on `_meta` gives every meta assigned later a version that both readers understand.
 */
function keepFileMetaVersion(ds: Item): void {
  const fix = (m: unknown): Item => {
    const meta = (m && typeof m === 'object' ? m : {}) as Item;
    const v = meta.FileMetaInformationVersion as (ArrayBuffer & { Value?: unknown }) | { Value?: unknown } | undefined;
    if (v instanceof ArrayBuffer) v.Value ??= [v];
    else if (!v?.Value) {
      const version = new Uint8Array([0, 1]).buffer as ArrayBuffer & { Value?: unknown };
      version.Value = [version];
      meta.FileMetaInformationVersion = version;
    }
    return meta;
  };
  let current = fix(ds._meta);
  Object.defineProperty(ds, '_meta', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (m: unknown) => {
      current = fix(m);
    },
  });
}
