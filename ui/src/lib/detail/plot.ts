// Geometry of the balance history plot: samples to SVG points in a fixed viewBox.
import type { BalanceView } from "../types";

export const PLOT_W = 300;
export const PLOT_H = 100;
/** Keeps the line off the top and bottom edges. */
const PAD = 6;

export interface Plot {
  /** Oldest first, only samples with a quota. */
  samples: (BalanceView & { quota: number })[];
  line: string;
  area: string;
  highest: BalanceView & { quota: number };
  lowest: BalanceView & { quota: number };
}

/** Lays out the history (newest first, as the engine sends it) or returns null with nothing to plot. */
export function layoutPlot(history: BalanceView[]): Plot | null {
  const samples = history
    .filter((s): s is BalanceView & { quota: number } => typeof s.quota === "number")
    .slice()
    .sort((a, b) => a.sampledAt - b.sampledAt);
  if (samples.length === 0) return null;

  const t0 = samples[0].sampledAt;
  const t1 = samples[samples.length - 1].sampledAt;
  let highest = samples[0];
  let lowest = samples[0];
  for (const s of samples) {
    if (s.quota > highest.quota) highest = s;
    if (s.quota < lowest.quota) lowest = s;
  }
  const span = highest.quota - lowest.quota;

  const x = (at: number) => (t1 === t0 ? PLOT_W / 2 : ((at - t0) / (t1 - t0)) * PLOT_W);
  const y = (q: number) =>
    span === 0 ? PLOT_H / 2 : PAD + (1 - (q - lowest.quota) / span) * (PLOT_H - 2 * PAD);
  const round = (n: number) => Math.round(n * 100) / 100;

  // A single sample still draws as a flat line across the plot.
  const points =
    samples.length === 1
      ? [`0,${round(y(samples[0].quota))}`, `${PLOT_W},${round(y(samples[0].quota))}`]
      : samples.map((s) => `${round(x(s.sampledAt))},${round(y(s.quota))}`);
  const line = points.join(" ");
  const first = points[0].split(",")[0];
  const last = points[points.length - 1].split(",")[0];
  const area = `${first},${PLOT_H} ${line} ${last},${PLOT_H}`;
  return { samples, line, area, highest, lowest };
}
