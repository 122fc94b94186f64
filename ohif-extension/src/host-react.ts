/**
 * The viewer's own React instance. OHIF 3.13.2 exposes none to runtime extensions, so it is found
 * in the host bundler's module registry: a probe "chunk" pushed into the rspack/webpack chunk
 * array is handed the bundler's require function, and React's main module is recognised by its
 * exports. Depends on bundler internals: the OHIF version is pinned and the review e2e test fails
 * loudly if this stops working. A future `window.React` / `window['react']` is preferred.
 */
type ReactLike = typeof import('react');
type Require = ((id: string) => unknown) & { m: Record<string, unknown> };

const looksLikeReact = (r: unknown): r is ReactLike =>
  !!r && typeof (r as ReactLike).createElement === 'function' && typeof (r as ReactLike).useState === 'function' && typeof (r as ReactLike).version === 'string';

export function findHostReact(): ReactLike {
  const w = window as unknown as Record<string, unknown>;
  for (const name of ['react', 'React']) if (looksLikeReact(w[name])) return w[name] as ReactLike;
  const key = Object.keys(w).find((k) => /^(rspack|webpack)Chunk/.test(k) && Array.isArray(w[k]));
  if (!key) throw new Error('Dafne review: the viewer exposes no module registry (rspackChunk/webpackChunk); was the OHIF version changed?');
  let req: Require | undefined;
  (w[key] as unknown[]).push([[`dafne-react-probe-${Date.now()}`], {}, (r: Require) => void (req = r)]);
  if (!req?.m) throw new Error('Dafne review: the module registry did not run the probe chunk');
  for (const id of Object.keys(req.m)) {
    const src = Function.prototype.toString.call(req.m[id]);
    // React's main module (production build): it defines these exports itself.
    if (src.length < 40_000 && src.includes('exports.useState=') && src.includes('exports.createElement=')) {
      const r = req(id);
      if (looksLikeReact(r)) return r;
    }
  }
  throw new Error("Dafne review: cannot find the viewer's React in its module registry; was the OHIF version changed?");
}
