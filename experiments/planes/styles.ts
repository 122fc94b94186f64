import { secondStylePhantom, SECOND_STYLE_CONTRASTS, type SecondStyleContrast } from '../../src/phantom/second-style/index.js';
import { LEG_PHANTOM_STYLE, type PhantomStyle } from './acquire.js';

/**
 * The second phantom style (src/phantom/second-style, docs/phantoms.md): made independently of the
 * demo model's training generator, never trained on by the shipped model. Its grid centre is the
 * nominal mid-calf point; the seeded leg axis passes within 15 mm of it.
 */
export const SECOND_STYLE = (contrast: SecondStyleContrast = 'T1'): PhantomStyle => ({
  name: `second-style ${contrast}`,
  make(seed, a) {
    const p = secondStylePhantom({ seed, contrast, orientation: a.plane, rows: a.rows, columns: a.columns, slices: a.slices, pixelSpacing: a.pixelSpacing, sliceSpacing: a.sliceSpacing });
    return { volume: p.volume, labels: p.labels };
  },
});

/** Phantom styles by name for the command line: `leg[:T1|T2|PD]` or `second[:<contrast>]`. */
export function styleByName(name: string): PhantomStyle {
  const [base, contrast] = name.split(':');
  if (base === 'leg') return LEG_PHANTOM_STYLE((contrast ?? 'T1') as 'T1' | 'T2' | 'PD');
  if (base === 'second') {
    const c = (contrast ?? 'T1') as SecondStyleContrast;
    if (!(SECOND_STYLE_CONTRASTS as readonly string[]).includes(c)) throw new RangeError(`second-style contrast must be one of ${SECOND_STYLE_CONTRASTS.join(', ')}`);
    return SECOND_STYLE(c);
  }
  throw new RangeError(`unknown phantom style "${name}" (leg[:T1|T2|PD], second[:contrast])`);
}
