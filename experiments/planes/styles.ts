import { LEG_PHANTOM_STYLE, type PhantomStyle } from './acquire.js';

/** Phantom styles by name for the command line: `leg` (T1, T2, PD suffix) or `second`. */
export function styleByName(name: string): PhantomStyle {
  const [base, contrast] = name.split(':');
  if (base === 'leg') return LEG_PHANTOM_STYLE((contrast ?? 'T1') as 'T1' | 'T2' | 'PD');
  throw new RangeError(`unknown phantom style "${name}" (leg[:T1|T2|PD])`);
}
