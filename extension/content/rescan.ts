// When to re-scan a page that changes: after it has been quiet for a while (debounce), but never later than a
// maximum wait after the first change (a page with a ticking clock or a live ticker is never quiet), and only for
// changes that can matter: mutations of ptd's own marks and of tiny text nodes (clocks, counters, "3 min ago") are
// ignored. Pure timing and DOM predicates; the content script decides what a re-scan is.
import { UI_ATTRIBUTE } from './extract.ts';

/** Text changes shorter than this (a clock, a counter, a relative date) never start a re-scan on their own. */
export const TINY_TEXT = 24;

function textLength(node: Node): number {
  return node.nodeType === 1 || node.nodeType === 3 ? (node.textContent?.trim().length ?? 0) : 0;
}

function isOurs(node: Node, root: Element): boolean {
  if (node === root) return true; // ptd's data-ptd-* attributes on <html>
  const el = node.nodeType === 1 ? (node as Element) : node.parentElement;
  return !!el?.closest(`[${UI_ATTRIBUTE}]`);
}

/** Whether a batch of mutations may have changed the readable text: something beyond our marks and tiny text. */
export function mattersForRescan(records: readonly MutationRecord[], root: Element): boolean {
  for (const r of records) {
    if (isOurs(r.target, root)) continue;
    if (r.type === 'characterData') {
      if (Math.max(r.target.textContent?.trim().length ?? 0, r.oldValue?.trim().length ?? 0) >= TINY_TEXT) return true;
      continue;
    }
    if (r.type === 'childList') {
      let changed = 0;
      for (const n of [...r.addedNodes, ...r.removedNodes]) if (!isOurs(n, root)) changed += textLength(n);
      if (changed >= TINY_TEXT) return true;
      continue;
    }
    // attributes (hidden, class, style) can show or hide whole blocks of text
    if (r.type === 'attributes' && r.target.nodeType === 1 && textLength(r.target) >= TINY_TEXT) return true;
  }
  return false;
}

/**
 * Calls `fire` once `quietMs` passed without a new `poke`, or `maxWaitMs` after the first poke of a burst,
 * whichever comes first.
 */
export class SettlingTimer {
  private quiet: ReturnType<typeof setTimeout> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly fire: () => void,
    readonly quietMs = 1500,
    readonly maxWaitMs = 8000,
  ) {}

  poke(): void {
    clearTimeout(this.quiet);
    this.quiet = setTimeout(() => this.run(), this.quietMs);
    this.deadline ??= setTimeout(() => this.run(), this.maxWaitMs);
  }

  get pending(): boolean {
    return this.quiet !== undefined;
  }

  cancel(): void {
    clearTimeout(this.quiet);
    clearTimeout(this.deadline);
    this.quiet = undefined;
    this.deadline = undefined;
  }

  private run(): void {
    this.cancel();
    this.fire();
  }
}
