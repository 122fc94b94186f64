/**
 * sRGB ↔ DICOM CIELab (PS3.3 C.10.7.1.1): Recommended Display CIELab Value (0062,000D) holds three
 * unsigned 16-bit values in ICC PCS encoding: L* 0..100 → 0x0000..0xFFFF, a* and b* -128..127 →
 * 0x0000..0xFFFF (0 ↔ 0x8080). The ICC Profile Connection Space uses the D50 white point, so sRGB
 * (defined on D65) is chromatically adapted with the Bradford transform, as the ICC sRGB profile does.
 *
 * Note: some viewers convert with a D65 white; colours then differ slightly, but white, black and
 * greys agree.
 */

export type Rgb = [number, number, number];
export type DicomLab = [number, number, number];

// Linear sRGB → CIE XYZ relative to D50 (sRGB primaries, Bradford-adapted D65 → D50).
const RGB_TO_XYZ_D50 = [
  [0.4360747, 0.3850649, 0.1430804],
  [0.2225045, 0.7168786, 0.0606169],
  [0.0139322, 0.0971045, 0.7141733],
];
// Its inverse.
const XYZ_D50_TO_RGB = [
  [3.1338561, -1.6168667, -0.4906146],
  [-0.9787684, 1.9161415, 0.033454],
  [0.0719453, -0.2289914, 1.4052427],
];
const WHITE_D50 = [0.96422, 1.0, 0.82521];
const EPS = (6 / 29) ** 3;
const KAPPA = 3 * (6 / 29) ** 2;

const toLinear = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const fromLinear = (c: number): number => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
const f = (t: number): number => (t > EPS ? Math.cbrt(t) : t / KAPPA + 4 / 29);
const fInv = (t: number): number => (t > 6 / 29 ? t ** 3 : KAPPA * (t - 4 / 29));
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

function mul(m: number[][], v: number[]): [number, number, number] {
  return [0, 1, 2].map((r) => m[r]![0]! * v[0]! + m[r]![1]! * v[1]! + m[r]![2]! * v[2]!) as [number, number, number];
}

/** sRGB 0–255 → the three 16-bit values of Recommended Display CIELab Value. */
export function srgbToDicomLab(rgb: Rgb): DicomLab {
  const lin = rgb.map((c) => toLinear(clamp(c, 0, 255) / 255));
  const [x, y, z] = mul(RGB_TO_XYZ_D50, lin);
  const fx = f(x / WHITE_D50[0]!), fy = f(y / WHITE_D50[1]!), fz = f(z / WHITE_D50[2]!);
  const L = 116 * fy - 16, a = 500 * (fx - fy), b = 200 * (fy - fz);
  return [
    Math.round(clamp((L * 0xffff) / 100, 0, 0xffff)),
    Math.round(clamp(((a + 128) * 0xffff) / 255, 0, 0xffff)),
    Math.round(clamp(((b + 128) * 0xffff) / 255, 0, 0xffff)),
  ];
}

/** The inverse of `srgbToDicomLab`, rounded to integer sRGB 0–255. */
export function dicomLabToSrgb(lab: readonly number[]): Rgb {
  const L = ((lab[0] ?? 0) * 100) / 0xffff;
  const a = ((lab[1] ?? 0x8080) * 255) / 0xffff - 128;
  const b = ((lab[2] ?? 0x8080) * 255) / 0xffff - 128;
  const fy = (L + 16) / 116, fx = fy + a / 500, fz = fy - b / 200;
  const xyz = [fInv(fx) * WHITE_D50[0]!, fInv(fy) * WHITE_D50[1]!, fInv(fz) * WHITE_D50[2]!];
  return mul(XYZ_D50_TO_RGB, xyz).map((c) => Math.round(clamp(fromLinear(clamp(c, 0, 1)) * 255, 0, 255))) as Rgb;
}
