// The characters of the extracted text that are on screen, so that the runtime scores them first.
import type { Extraction } from './extract.ts';

function rectOf(run: Extraction['runs'][number]): DOMRect | null {
  try {
    const r = run.node.ownerDocument!.createRange();
    r.setStart(run.node, run.offset);
    r.setEnd(run.node, run.offset + run.length);
    return r.getBoundingClientRect();
  } catch {
    return null;
  }
}

/**
 * `[start, end)` of the text shown in the window (null when none of it is): the first run whose box ends below the
 * top of the screen, found by binary search (document order is top to bottom, near enough), then runs up to the
 * bottom of the screen. Runs inside frames are measured in their own frame (good enough for a priority).
 */
export function visibleRange(ex: Extraction, win: Window): { start: number; end: number } | null {
  const runs = ex.runs;
  if (runs.length === 0) return null;
  let lo = 0;
  let hi = runs.length - 1;
  let first = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const rect = rectOf(runs[mid]!);
    if (rect && rect.bottom >= 0) {
      first = mid;
      hi = mid - 1;
    } else lo = mid + 1;
  }
  if (first < 0) return null;
  let last = first;
  for (let k = first + 1; k < runs.length && k < first + 2000; k++) {
    const rect = rectOf(runs[k]!);
    if (rect && rect.top > win.innerHeight) break;
    last = k;
  }
  const a = runs[first]!;
  const b = runs[last]!;
  return { start: a.start, end: b.start + b.length };
}
