/**
 * Attribute paths for bulk data URIs: the node's own scheme for the `{tagPath}` of
 * `.../instances/{sop}/bulkdata/{tagPath}` (PS3.18 §10.4 leaves bulk data URIs to the
 * origin server).
 *
 *   7FE00010                 top-level Pixel Data
 *   00540016.0.00181072      (0018,1072) in item 0 (0-based) of (0054,0016)
 *
 * Tags are 8 hexadecimal digits (group then element; written upper case), items are decimal
 * indexes, separated by dots; a path always ends with a tag.
 */
import { IMPLICIT_LE, ITEM, readElementHeader, SEQUENCE_DELIMITATION, skipUndefined, type ElementHeader, type Syntax } from './element-reader.js';

export interface TagPathStep {
  tag: number;
  /** Index of the item to enter, for every step but the last. */
  item?: number;
}

const TAG = /^[0-9A-Fa-f]{8}$/;
const INDEX = /^(?:0|[1-9][0-9]{0,8})$/;
const MAX_DEPTH = 32;

const hexCache = new Map<number, string>();

/** "7FE00010" for (7FE0,0010): the DICOM JSON key of a tag (PS3.18 §F.2). */
export function tagHex(tag: number): string {
  let hex = hexCache.get(tag);
  if (hex === undefined) {
    hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
    if (hexCache.size < 100_000) hexCache.set(tag, hex);
  }
  return hex;
}

/** Parses a tag path, or returns null when it does not follow the scheme above. */
export function parseTagPath(path: string): TagPathStep[] | null {
  const parts = path.split('.');
  if (parts.length % 2 === 0 || parts.length > 2 * MAX_DEPTH - 1) return null;
  const steps: TagPathStep[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    if (!TAG.test(parts[i]!)) return null;
    const step: TagPathStep = { tag: Number.parseInt(parts[i]!, 16) >>> 0 };
    if (i + 1 < parts.length) {
      if (!INDEX.test(parts[i + 1]!)) return null;
      step.item = Number(parts[i + 1]);
    }
    steps.push(step);
  }
  return steps;
}

/** The path of an element inside the item path `prefix` ('' at the top level). */
export function childPath(prefix: string, tag: number): string {
  return prefix + tagHex(tag);
}

/** The prefix for elements inside item `index` of the sequence at `path`. */
export function itemPrefix(path: string, index: number): string {
  return `${path}.${index}.`;
}

export interface LocatedElement {
  header: ElementHeader;
  /** The syntax its value is encoded in (Implicit VR LE inside a UN sequence, PS3.5 §6.2.2). */
  syntax: Syntax;
}

/**
 * Finds the element at `steps` in the data set `buf[start, end)`, or null when it is absent (or
 * beyond `end`, e.g. after the Pixel Data a header read stopped at).
 */
export function locateElement(buf: Buffer, start: number, end: number, syntax: Syntax, steps: readonly TagPathStep[]): LocatedElement | null {
  let pos = start;
  let limit = end;
  let syn = syntax;
  for (let depth = 0; depth < steps.length; depth++) {
    const step = steps[depth]!;
    let found: ElementHeader | null = null;
    while (pos < limit) {
      const h = readElementHeader(buf, pos, limit, syn);
      if (h === null || h.tag === 0xfffee00d) return null;
      if (h.tag === step.tag) {
        found = h;
        break;
      }
      if (h.tag > step.tag) return null; // elements are in ascending order (PS3.5 §7.1)
      pos = h.length >= 0 ? h.valueOffset + h.length : skipUndefined(buf, h.valueOffset, limit, h.vr === 'UN' && syn.explicit ? IMPLICIT_LE : syn);
      if (pos < 0) return null;
    }
    if (!found) return null;
    if (step.item === undefined) return { header: found, syntax: syn };
    // Enter item `step.item` of the sequence.
    if (found.vr === 'UN' && syn.explicit) syn = IMPLICIT_LE;
    const seqEnd = found.length >= 0 ? found.valueOffset + found.length : limit;
    let p = found.valueOffset;
    let index = 0;
    let item: { start: number; end: number } | null = null;
    while (p < seqEnd) {
      const ih = readElementHeader(buf, p, seqEnd, syn);
      if (ih === null || ih.tag === SEQUENCE_DELIMITATION || ih.tag !== ITEM) return null;
      const itemEnd = ih.length >= 0 ? ih.valueOffset + ih.length : skipUndefined(buf, ih.valueOffset, seqEnd, syn);
      if (itemEnd < 0) return null;
      if (index === step.item) {
        item = { start: ih.valueOffset, end: ih.length >= 0 ? itemEnd : itemEnd - 8 };
        break;
      }
      index++;
      p = itemEnd;
    }
    if (!item) return null;
    pos = item.start;
    limit = item.end;
  }
  return null;
}
