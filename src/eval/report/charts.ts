/** PNG charts for the evaluation report, drawn on a Raster (no browser or canvas library needed). */
import { Raster, type Rgb } from "../../draw/Raster.js";

const AXIS: Rgb = [60, 60, 60];
const GRID: Rgb = [225, 225, 225];
const TEXT: Rgb = [20, 20, 20];

export interface BarSeries {
  name: string;
  color: Rgb;
}

export interface BarRow {
  label: string;
  /** one value per series, in [0, max]; null draws "n/a" */
  values: (number | null)[];
}

/** Horizontal grouped bars: one row per label, one bar per series, values printed beside the bars. */
export function horizontalBarChart(title: string, series: readonly BarSeries[], rows: readonly BarRow[], max = 1): Buffer {
  const s = 2;
  const labelWidth = Math.max(...rows.map((r) => Raster.textWidth(r.label, s)), 40) + 16;
  const barHeight = 9 * s;
  const rowHeight = series.length * barHeight + 10 * s;
  const plotWidth = 520;
  const top = 40 + 12 * s;
  const width = labelWidth + plotWidth + 90;
  const height = top + rows.length * rowHeight + 30 * s;
  const r = new Raster(width, height);
  r.text(10, 10, title, TEXT, s);
  series.forEach((ser, i) => {
    const x = 10 + i * 200;
    r.fillRect(x, 14 + 10 * s, 8 * s, 7 * s, ser.color);
    r.text(x + 10 * s, 14 + 10 * s, ser.name, TEXT, s);
  });
  for (let t = 0; t <= 4; t++) {
    const x = labelWidth + (plotWidth * t) / 4;
    r.fillRect(x, top, 1, rows.length * rowHeight, GRID);
    const tick = ((max * t) / 4).toFixed(2);
    r.text(x - Raster.textWidth(tick, s) / 2, top + rows.length * rowHeight + 6, tick, TEXT, s);
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight + 5 * s;
    r.text(labelWidth - 8 - Raster.textWidth(row.label, s), y + (series.length * barHeight - 7 * s) / 2, row.label, TEXT, s);
    row.values.forEach((v, k) => {
      const by = y + k * barHeight;
      if (v === null) {
        r.text(labelWidth + 4, by + s, "N/A", [150, 150, 150], s);
        return;
      }
      const w = Math.max(0, Math.min(1, v / max)) * plotWidth;
      r.fillRect(labelWidth, by, w, barHeight - s, series[k]!.color);
      r.text(labelWidth + w + 4, by + s, v.toFixed(3), TEXT, s);
    });
  });
  r.fillRect(labelWidth, top, 1, rows.length * rowHeight, AXIS);
  return r.toPng();
}

export interface Marker {
  label: string;
  value: number;
  color: Rgb;
}

/** A histogram of `values` with vertical markers (e.g. p50/p90/p99) and a labelled x axis. */
export function histogram(title: string, unit: string, values: readonly number[], markers: readonly Marker[] = [], bins = 40): Buffer {
  const s = 2;
  const width = 900;
  const height = 420;
  const left = 70;
  const right = 30;
  const top = 60;
  const bottom = 60;
  const r = new Raster(width, height);
  r.text(10, 10, title, TEXT, s);
  // loops, not Math.min(...values): a long run has more samples than a call may take arguments
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi > lo ? hi - lo : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / span) * bins))]!++;
  const peak = counts.reduce((a, b) => Math.max(a, b), 1);
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  for (let t = 0; t <= 4; t++) {
    const y = top + plotH - (plotH * t) / 4;
    r.fillRect(left, y, plotW, 1, GRID);
    const label = String(Math.round((peak * t) / 4));
    r.text(left - 8 - Raster.textWidth(label, s), y - 7, label, TEXT, s);
  }
  counts.forEach((c, i) => {
    const h = (c / peak) * plotH;
    r.fillRect(left + (plotW * i) / bins + 1, top + plotH - h, plotW / bins - 2, h, [70, 130, 180]);
  });
  r.fillRect(left, top + plotH, plotW, 1, AXIS);
  r.fillRect(left, top, 1, plotH, AXIS);
  for (let t = 0; t <= 4; t++) {
    const v = lo + (span * t) / 4;
    const label = v.toFixed(span < 10 ? 2 : 1);
    r.text(left + (plotW * t) / 4 - Raster.textWidth(label, s) / 2, top + plotH + 8, label, TEXT, s);
  }
  r.text(left + plotW / 2 - Raster.textWidth(unit, s) / 2, height - 22, unit, TEXT, s);
  markers.forEach((m, i) => {
    const x = left + ((m.value - lo) / span) * plotW;
    r.fillRect(x - 1, top, 2, plotH, m.color);
    const tag = `${m.label} ${m.value.toFixed(2)}`;
    r.text(Math.min(x + 4, width - right - Raster.textWidth(tag, s)), top + 4 + i * 9 * s, tag, m.color, s);
  });
  return r.toPng();
}
