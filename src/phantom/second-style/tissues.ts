/**
 * Tissue codes of the second-style phantom: what the anatomy lookup returns per sample point, and
 * how each code maps to a ground-truth label. Codes are small integers so both signal and label are
 * table lookups in the hot loop.
 *
 * The six labelled muscles use the shared LEG_LABEL values; the deep posterior muscles, extensor
 * hallucis longus and popliteus are real muscle signal with label 0, as the brief's label set asks.
 * A thin fascia sample keeps the label of the muscle it bounds: ground truth is drawn to the septum's
 * midline, as a human annotator would, while the image shows the septum as a dark line.
 */
import { LEG_LABEL } from '../leg-labels.js';
import type { SecondStyleMuscleName } from './options.js';

export const TISSUE = {
  air: 0,
  skin: 1,
  fat: 2,
  cortex: 3,
  marrow: 4,
  tendon: 5,
  vessel: 6,
} as const;

/** Muscle m is tissue MUSCLE_BASE + m; the fascia on its border is FASCIA_BASE + m. */
export const MUSCLE_BASE = 8;
export const FASCIA_BASE = 24;
export const TISSUE_CODES = 40;

export interface MuscleIdentity { name: SecondStyleMuscleName; label: number }

/** Index m of each muscle; the order is fixed (the anatomy plan refers to muscles by index). */
export const MUSCLES: readonly MuscleIdentity[] = [
  { name: 'soleus', label: LEG_LABEL.soleus },
  { name: 'gastrocnemius_medialis', label: LEG_LABEL.gastrocnemiusMedialis },
  { name: 'gastrocnemius_lateralis', label: LEG_LABEL.gastrocnemiusLateralis },
  { name: 'tibialis_anterior', label: LEG_LABEL.tibialisAnterior },
  { name: 'extensor_digitorum_longus', label: LEG_LABEL.extensorDigitorumLongus },
  { name: 'peroneus', label: LEG_LABEL.peroneus },
  { name: 'tibialis_posterior', label: 0 },
  { name: 'flexor_digitorum_longus', label: 0 },
  { name: 'flexor_hallucis_longus', label: 0 },
  { name: 'extensor_hallucis_longus', label: 0 },
  { name: 'popliteus', label: 0 },
];

export const M = {
  SOL: 0, GM: 1, GL: 2, TA: 3, EDL: 4, PER: 5, TP: 6, FDL: 7, FHL: 8, EHL: 9, POP: 10,
} as const;

/** Tissue code → ground-truth label (uint8). */
export function labelTable(): Uint8Array {
  const lut = new Uint8Array(TISSUE_CODES);
  MUSCLES.forEach((m, i) => {
    lut[MUSCLE_BASE + i] = m.label;
    lut[FASCIA_BASE + i] = m.label;
  });
  return lut;
}
