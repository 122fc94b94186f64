/** Ordinary least squares y = a + b·x with the slope's standard error and 95 % confidence interval (t, n − 2 df). */
export interface LinearFit {
  slope: number;
  intercept: number;
  se: number;
  ci95: [number, number];
  n: number;
  r2: number;
}

// Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom (then ≈ normal).
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function linearFit(x: readonly number[], y: readonly number[]): LinearFit {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
    syy += (y[i]! - my) ** 2;
  }
  const slope = sxy / sxx, intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i]! - intercept - slope * x[i]!) ** 2;
  const se = n > 2 ? Math.sqrt(sse / (n - 2) / sxx) : NaN;
  const t = T975[Math.min(n - 2, 30) - 1] ?? 1.96;
  return { slope, intercept, se, ci95: [slope - t * se, slope + t * se], n, r2: syy > 0 ? 1 - sse / syy : 1 };
}
