import type { LabelVolume } from '../dicom/volume.js';

/**
 * Optional post-processing declared in the model card (issue 3 item 3). Both work on a label
 * volume in place and are pure functions of it.
 */

/** Keeps, for each label, only its largest 3D connected component (26-connectivity). */
export function keepLargestComponents(v: LabelVolume, labels: number[]): void {
  const { columns: nx, rows: ny, slices: nz, data } = v;
  const plane = nx * ny;
  const comp = new Int32Array(data.length); // 0 = unvisited
  const queue = new Int32Array(data.length);
  for (const label of labels) {
    let next = 0;
    let bestId = 0;
    let bestSize = 0;
    const sizes: number[] = [0];
    for (let start = 0; start < data.length; start++) {
      if (data[start] !== label || comp[start] !== 0) continue;
      const id = ++next;
      let head = 0;
      let tail = 0;
      queue[tail++] = start;
      comp[start] = id;
      while (head < tail) {
        const p = queue[head++]!;
        const z = Math.floor(p / plane);
        const y = Math.floor((p - z * plane) / nx);
        const x = p - z * plane - y * nx;
        for (let dz = -1; dz <= 1; dz++) {
          const zz = z + dz;
          if (zz < 0 || zz >= nz) continue;
          for (let dy = -1; dy <= 1; dy++) {
            const yy = y + dy;
            if (yy < 0 || yy >= ny) continue;
            for (let dx = -1; dx <= 1; dx++) {
              const xx = x + dx;
              if (xx < 0 || xx >= nx) continue;
              const q = zz * plane + yy * nx + xx;
              if (data[q] === label && comp[q] === 0) {
                comp[q] = id;
                queue[tail++] = q;
              }
            }
          }
        }
      }
      sizes.push(tail);
      if (tail > bestSize) {
        bestSize = tail;
        bestId = id;
      }
    }
    if (next > 1) for (let p = 0; p < data.length; p++) if (data[p] === label && comp[p] !== bestId) data[p] = 0;
    comp.fill(0);
  }
}

/**
 * Fills, slice by slice, background regions enclosed by one label (4-connected background that
 * does not reach the slice border and touches only that label).
 */
export function fillHoles(v: LabelVolume, labels: number[]): void {
  const { columns: nx, rows: ny, slices: nz, data } = v;
  const plane = nx * ny;
  const seen = new Uint8Array(plane);
  const queue = new Int32Array(plane);
  const wanted = new Set(labels);
  for (let z = 0; z < nz; z++) {
    const base = z * plane;
    seen.fill(0);
    for (let s = 0; s < plane; s++) {
      if (seen[s] || data[base + s] !== 0) continue;
      let head = 0;
      let tail = 0;
      queue[tail++] = s;
      seen[s] = 1;
      let border = false;
      let enclosing = -1; // the one label around the region, -2 if several
      while (head < tail) {
        const p = queue[head++]!;
        const y = Math.floor(p / nx);
        const x = p - y * nx;
        if (x === 0 || y === 0 || x === nx - 1 || y === ny - 1) border = true;
        for (let n = 0; n < 4; n++) {
          const q = n === 0 ? (x > 0 ? p - 1 : -1) : n === 1 ? (x < nx - 1 ? p + 1 : -1) : n === 2 ? (y > 0 ? p - nx : -1) : y < ny - 1 ? p + nx : -1;
          if (q < 0) continue;
          const l = data[base + q]!;
          if (l === 0) {
            if (!seen[q]) {
              seen[q] = 1;
              queue[tail++] = q;
            }
          } else if (enclosing === -1) enclosing = l;
          else if (enclosing !== l) enclosing = -2;
        }
      }
      if (!border && enclosing > 0 && wanted.has(enclosing)) for (let i = 0; i < tail; i++) data[base + queue[i]!] = enclosing;
    }
  }
}
