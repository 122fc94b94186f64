/**
 * The label table of the lower-leg phantom: values, names, colours and coded concepts (the shape of a
 * model card label, DESIGN §5), for the six muscles of Dafne's Leg model plus three optional
 * non-muscle structures.
 *
 * Codes were checked against public sources, never guessed:
 * - Segmentation categories, DICOM CID 7150 (PS3.16): 91723000 "Anatomical Structure", 85756007
 *   "Tissue" (SCT).
 * - Tibia 12611008, Fibula 87342007 (SCT; DICOM CID 4031 / CID 7304), Subcutaneous tissue 71966008
 *   (SCT; CID 7166 Common Tissue Segmentation Types), Lower leg 30021000 and Muscle of lower limb
 *   102292000 (SCT; CID 4031 Common Anatomic Regions).
 * - No DICOM context group lists the individual calf muscles, and no public source at hand gave their
 *   SNOMED CT concept ids, so the muscles are typed with the Foundational Model of Anatomy (coding
 *   scheme designator "FMA", PS3.16 Table 8-1): Soleus 22542, Medial head of gastrocnemius 45956,
 *   Lateral head of gastrocnemius 45959, Tibialis anterior 22532, Extensor digitorum longus 22534,
 *   Fibularis (peroneus) longus 22539 (Wikipedia infoboxes and UBERON cross-references, OLS4). Each
 *   muscle also carries its SNOMED CT parent "Muscle of lower limb" and region "Lower leg".
 */
export interface CodedConcept {
  value: string;
  scheme: string;
  meaning: string;
}

export interface LegLabel {
  value: number;
  /** Dafne-style name (lower case, underscores); Dafne's split laterality appends _R / _L. */
  name: string;
  /** Short name as used on Dafne's Leg model masks. */
  abbreviation: string;
  muscle: boolean;
  category: CodedConcept;
  type: CodedConcept;
  /** SNOMED CT concept the structure is a kind of (for muscles, where `type` is FMA). */
  snomedParent?: CodedConcept;
  anatomicRegion: CodedConcept;
  color: [number, number, number];
}

export const LEG_LABEL = {
  soleus: 1,
  gastrocnemiusMedialis: 2,
  gastrocnemiusLateralis: 3,
  tibialisAnterior: 4,
  extensorDigitorumLongus: 5,
  peroneus: 6,
  subcutaneousFat: 7,
  tibia: 8,
  fibula: 9,
} as const;

export type LabelSet = 'muscles' | 'all';

const sct = (value: string, meaning: string): CodedConcept => ({ value, scheme: 'SCT', meaning });
const fma = (value: string, meaning: string): CodedConcept => ({ value, scheme: 'FMA', meaning });
const ANATOMICAL_STRUCTURE = sct('91723000', 'Anatomical Structure');
const TISSUE = sct('85756007', 'Tissue');
const LOWER_LEG = sct('30021000', 'Lower leg');
const LOWER_LIMB_MUSCLE = sct('102292000', 'Muscle of lower limb');

const muscle = (value: number, name: string, abbreviation: string, type: CodedConcept, color: [number, number, number]): LegLabel => ({
  value, name, abbreviation, muscle: true, category: ANATOMICAL_STRUCTURE, type, snomedParent: LOWER_LIMB_MUSCLE, anatomicRegion: LOWER_LEG, color,
});

/** All nine labels, in value order. */
export const LEG_LABELS: readonly LegLabel[] = [
  muscle(1, 'soleus', 'SOL', fma('22542', 'Soleus'), [220, 80, 80]),
  muscle(2, 'gastrocnemius_medialis', 'GM', fma('45956', 'Medial head of gastrocnemius'), [80, 180, 80]),
  muscle(3, 'gastrocnemius_lateralis', 'GL', fma('45959', 'Lateral head of gastrocnemius'), [80, 120, 220]),
  muscle(4, 'tibialis_anterior', 'TA', fma('22532', 'Tibialis anterior'), [230, 200, 60]),
  muscle(5, 'extensor_digitorum_longus', 'EDL', fma('22534', 'Extensor digitorum longus'), [200, 100, 220]),
  muscle(6, 'peroneus', 'PE', fma('22539', 'Fibularis longus'), [60, 200, 200]),
  {
    value: 7, name: 'subcutaneous_fat', abbreviation: 'FAT', muscle: false, category: TISSUE,
    type: sct('71966008', 'Subcutaneous tissue'), anatomicRegion: LOWER_LEG, color: [230, 220, 70],
  },
  { value: 8, name: 'tibia', abbreviation: 'TIB', muscle: false, category: ANATOMICAL_STRUCTURE, type: sct('12611008', 'Tibia'), anatomicRegion: LOWER_LEG, color: [241, 214, 145] },
  { value: 9, name: 'fibula', abbreviation: 'FIB', muscle: false, category: ANATOMICAL_STRUCTURE, type: sct('87342007', 'Fibula'), anatomicRegion: LOWER_LEG, color: [250, 235, 190] },
];

/** The labels a ground truth with this label set contains (fat and bone are background for 'muscles'). */
export function legLabels(set: LabelSet = 'muscles'): LegLabel[] {
  return LEG_LABELS.filter((l) => set === 'all' || l.muscle);
}
