// The arithmetic of the virtual list: which rows are near the viewport and must be rendered.
/** Every row of the account list is this tall (px); the stylesheet reads it through --row-h. */
export const ROW_HEIGHT = 72;

/** The list's height until its viewport has been measured (and in jsdom, which measures nothing). */
export const FALLBACK_HEIGHT = 720;

export interface Range {
  /** First rendered index (inclusive). */
  start: number;
  /** One past the last rendered index. */
  end: number;
}

/** Rows from a little above to a little below the viewport; `overscan` rows on each side. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 4,
): Range {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight);
  const start = Math.min(Math.max(0, first - overscan), count);
  const end = Math.min(count, Math.max(start, last + overscan));
  return { start, end };
}

/** The scrollTop that brings row `index` fully into view, or null when it already is. */
export function scrollToShow(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number | null {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return null;
}
