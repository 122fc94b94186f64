/**
 * Signal per tissue for each contrast of the second style. Values are relative magnitudes on a
 * 0–4000 scale chosen for this style (1.5 T spin-echo / Dixon-like), not copied from the first style:
 * - T1: fat and yellow marrow bright, muscle intermediate, tendon and cortex near black.
 * - T2-fatsat: fat suppressed below muscle; slow-flowing venous blood and skin brighter than muscle.
 * - dixon-water / dixon-fat: the two separated images; a small residual of the other species remains.
 * - PD: everything but tendon and cortex bright, fat still above muscle.
 * Muscles get a seeded ±8 % gain, and fatty infiltration mixes a fraction of the fat signal into a
 * muscle (muscle·(1 − φ) + fat·φ), as an in-voxel fat fraction would.
 */
import type { FattyInfiltration, SecondStyleContrast } from './options.js';
import { FASCIA_BASE, MUSCLE_BASE, MUSCLES, TISSUE, TISSUE_CODES } from './tissues.js';

interface Signals { fat: number; marrow: number; muscle: number; skin: number; fascia: number; tendon: number; cortex: number; vessel: number }

export const SIGNALS: Record<SecondStyleContrast, Signals> = {
  'T1': { fat: 1750, marrow: 1580, muscle: 560, skin: 820, fascia: 260, tendon: 55, cortex: 35, vessel: 160 },
  'T2-fatsat': { fat: 110, marrow: 95, muscle: 420, skin: 520, fascia: 190, tendon: 40, cortex: 25, vessel: 1250 },
  'dixon-water': { fat: 70, marrow: 60, muscle: 980, skin: 700, fascia: 380, tendon: 110, cortex: 30, vessel: 900 },
  'dixon-fat': { fat: 1500, marrow: 1350, muscle: 45, skin: 260, fascia: 120, tendon: 20, cortex: 15, vessel: 30 },
  'PD': { fat: 1600, marrow: 1450, muscle: 1020, skin: 1100, fascia: 520, tendon: 95, cortex: 45, vessel: 420 },
};

/** Muscle signal of a contrast (the reference for the noise level). */
export const muscleSignal = (c: SecondStyleContrast): number => SIGNALS[c].muscle;

/** Tissue code → noiseless signal, with per-muscle gains and fat fractions applied. */
export function signalTable(contrast: SecondStyleContrast, gains: readonly number[], fatty: FattyInfiltration): Float32Array {
  const s = SIGNALS[contrast];
  const lut = new Float32Array(TISSUE_CODES);
  lut[TISSUE.air] = 0;
  lut[TISSUE.skin] = s.skin;
  lut[TISSUE.fat] = s.fat;
  lut[TISSUE.cortex] = s.cortex;
  lut[TISSUE.marrow] = s.marrow;
  lut[TISSUE.tendon] = s.tendon;
  lut[TISSUE.vessel] = s.vessel;
  MUSCLES.forEach((m, i) => {
    const phi = typeof fatty === 'number' ? fatty : fatty[m.name] ?? 0;
    const muscle = s.muscle * (gains[i] ?? 1);
    lut[MUSCLE_BASE + i] = muscle * (1 - phi) + s.fat * phi;
    // A septum is thin connective tissue plus the muscle on either side of it within the sample.
    lut[FASCIA_BASE + i] = s.fascia * 0.7 + lut[MUSCLE_BASE + i]! * 0.3;
  });
  return lut;
}

/** The writer's SequenceParameters family closest to each contrast (sets TR/TE in the DICOM header). */
export function writerContrast(c: SecondStyleContrast): 'T1' | 'T2' | 'PD' | 'UNKNOWN' {
  return c === 'T1' ? 'T1' : c === 'T2-fatsat' ? 'T2' : c === 'PD' ? 'PD' : 'UNKNOWN';
}
