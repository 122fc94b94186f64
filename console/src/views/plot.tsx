export interface Point {
  x: number;
  y: number | null;
  /** Shown as a hollow, red point: a generation the gate rejected. */
  rejected?: boolean;
  active?: boolean;
  label: string;
}

/**
 * A small SVG line plot of held-out Dice per generation (no chart library: one polyline and its
 * axes). The y axis spans the data (at least 0.1 wide) so small per-generation gains are visible.
 */
export function DicePlot({ points, title }: { points: Point[]; title: string }) {
  const W = 560;
  const H = 240;
  const m = { l: 64, r: 16, t: 16, b: 36 };
  const ys = points.map((p) => p.y).filter((y): y is number => y !== null);
  if (ys.length === 0) return <p class="muted" data-testid="learning-curve-empty">No held-out scores recorded yet.</p>;
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 0.1) {
    const mid = (hi + lo) / 2;
    lo = Math.max(0, mid - 0.05);
    hi = Math.min(1, lo + 0.1);
    lo = hi - 0.1;
  }
  const xs = points.map((p) => p.x);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const sx = (x: number) => m.l + (x1 === x0 ? (W - m.l - m.r) / 2 : ((x - x0) / (x1 - x0)) * (W - m.l - m.r));
  const sy = (y: number) => m.t + (1 - (y - lo) / (hi - lo)) * (H - m.t - m.b);
  const accepted = points.filter((p) => p.y !== null && !p.rejected);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
  return (
    <svg class="plot" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title} data-testid="learning-curve">
      <title>{title}</title>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={m.l} x2={W - m.r} y1={sy(t)} y2={sy(t)} class="grid" />
          <text x={m.l - 6} y={sy(t) + 4} text-anchor="end" class="tick">
            {t.toFixed(3)}
          </text>
        </g>
      ))}
      {points.map((p) => (
        <text key={`x${p.x}`} x={sx(p.x)} y={H - m.b + 16} text-anchor="middle" class="tick">
          {p.x}
        </text>
      ))}
      <text x={(W + m.l) / 2} y={H - 4} text-anchor="middle" class="axis">
        generation
      </text>
      <text x={12} y={(H - m.b) / 2} text-anchor="middle" class="axis" transform={`rotate(-90 12 ${(H - m.b) / 2})`}>
        held-out Dice
      </text>
      <polyline class="line" points={accepted.map((p) => `${sx(p.x)},${sy(p.y!)}`).join(' ')} />
      {points
        .filter((p) => p.y !== null)
        .map((p) => (
          <circle key={p.x} cx={sx(p.x)} cy={sy(p.y!)} r={p.active ? 6 : 4} class={p.rejected ? 'pt-rejected' : p.active ? 'pt-active' : 'pt'} data-generation={p.x}>
            <title>{p.label}</title>
          </circle>
        ))}
    </svg>
  );
}
