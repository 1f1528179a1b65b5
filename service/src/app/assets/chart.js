// Small SVG charts for the pages, written here (no chart library): dated x axis, a y axis
// with ticks, a legend, and a title read out by screen readers. The data come from the
// server; this only draws. Colours are SVG attributes (the pages' CSP allows no inline style).

const NS = "http://www.w3.org/2000/svg";
/** The series' colours, in order. */
export const COLOURS = ["#1d6b35", "#0b5cad", "#c62828", "#b8860b", "#6a3d9a", "#3fa7d6", "#555555"];

function node(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A "nice" upper bound and step for a y axis reaching `max`. */
function ticks(max) {
  if (!(max > 0)) return { top: 1, step: 1 };
  const raw = max / 4;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  return { top: Math.ceil(max / step) * step, step };
}

/**
 * A chart over dated points.
 * `dates`: the x values ("YYYY-MM-DD", in order); `series`: [{name, values}] (one value per
 * date); `kind`: "line" or "stacked" (bars stacked per date); `title`, `yLabel`: words.
 * Returns an <svg> with role img, the title, both axes and the legend.
 */
export function chart({ dates, series, kind = "line", title, yLabel, percent = false, width = 640 }) {
  // Drawn at the width it is shown at (`width`: the box's), so the text stays readable.
  const W = Math.max(300, Math.min(960, Math.round(width))), H = 240, L = 48, R = 12, T = 12, B = 44;
  const perRow = W < 480 ? 2 : 3;
  const legendRows = Math.ceil(series.length / perRow);
  const svg = node("svg", { viewBox: `0 0 ${W} ${H + 10 + legendRows * 18}`, role: "img", class: "chart" });
  svg.append(node("title", {}, title));
  const totals = dates.map((_, i) => series.reduce((a, s) => a + (Number(s.values[i]) || 0), 0));
  const max = kind === "stacked" ? Math.max(0, ...totals)
    : Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null).map(Number)));
  const { top, step } = percent ? { top: 1, step: 0.25 } : ticks(max);
  const plotW = W - L - R, plotH = H - T - B;
  const x = (i) => L + (dates.length <= 1 ? plotW / 2 : (i * plotW) / (dates.length - 1));
  const slot = plotW / Math.max(1, dates.length);
  const xb = (i) => L + i * slot;
  const y = (v) => T + plotH - (v / top) * plotH;
  // Axes.
  const axes = node("g", { class: "axes", stroke: "#777", "stroke-width": 1 });
  axes.append(node("line", { x1: L, y1: T, x2: L, y2: T + plotH }));
  axes.append(node("line", { x1: L, y1: T + plotH, x2: W - R, y2: T + plotH }));
  svg.append(axes);
  for (let v = 0; v <= top + 1e-9; v += step) {
    svg.append(node("line", { x1: L, y1: y(v), x2: W - R, y2: y(v), stroke: "#e3e6e3", "stroke-width": 1 }));
    svg.append(node("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#444", class: "y-tick" },
      percent ? `${Math.round(v * 100)} %` : String(Math.round(v * 100) / 100)));
  }
  svg.append(node("text", { x: 12, y: T + plotH / 2, "font-size": 11, fill: "#444",
    transform: `rotate(-90 12 ${T + plotH / 2})`, "text-anchor": "middle" }, yLabel));
  const every = Math.max(1, Math.ceil(dates.length / Math.max(2, Math.floor(plotW / 60))));
  dates.forEach((d, i) => {
    const last = i === dates.length - 1 && i % every > every / 2;
    if (i % every !== 0 && !last) return;
    const cx = kind === "stacked" ? xb(i) + slot / 2 : x(i);
    svg.append(node("text", { x: cx, y: T + plotH + 16, "text-anchor": "middle", "font-size": 11,
      fill: "#444", class: "x-tick", "data-date": d }, d.slice(5)));
  });
  svg.append(node("text", { x: L + plotW / 2, y: T + plotH + 34, "text-anchor": "middle", "font-size": 11, fill: "#444" },
    dates.length ? `${dates[0]} to ${dates[dates.length - 1]}` : "no data"));
  // Data.
  if (kind === "stacked") {
    const base = dates.map(() => 0);
    series.forEach((s, k) => {
      const g = node("g", { class: "series", "data-name": s.name, fill: COLOURS[k % COLOURS.length] });
      s.values.forEach((v, i) => {
        const n = Number(v) || 0;
        if (n <= 0) return;
        const bw = Math.max(2, slot * 0.6);
        const r = node("rect", { x: xb(i) + (slot - bw) / 2, y: y(base[i] + n), width: bw,
          height: Math.max(0, y(base[i]) - y(base[i] + n)), "data-date": dates[i], "data-value": n });
        r.append(node("title", {}, `${dates[i]}: ${n} ${s.name}`));
        g.append(r);
        base[i] += n;
      });
      svg.append(g);
    });
  } else {
    series.forEach((s, k) => {
      const colour = COLOURS[k % COLOURS.length];
      const g = node("g", { class: "series", "data-name": s.name });
      const pts = s.values.map((v, i) => (v === null ? null : [x(i), y(Number(v))])).filter(Boolean);
      if (pts.length > 1) {
        g.append(node("polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none",
          stroke: colour, "stroke-width": 2 }));
      }
      s.values.forEach((v, i) => {
        if (v === null) return;
        const c = node("circle", { cx: x(i), cy: y(Number(v)), r: 3, fill: colour, "data-date": dates[i], "data-value": v });
        c.append(node("title", {}, `${dates[i]}: ${percent ? Math.round(v * 100) + " %" : v} ${s.name}`));
        g.append(c);
      });
      svg.append(g);
    });
  }
  // Legend.
  const legend = node("g", { class: "legend" });
  series.forEach((s, k) => {
    const lx = L + (k % perRow) * Math.floor((W - L) / perRow), ly = H + 10 + Math.floor(k / perRow) * 18;
    legend.append(node("rect", { x: lx, y: ly - 9, width: 12, height: 12, fill: COLOURS[k % COLOURS.length] }));
    legend.append(node("text", { x: lx + 16, y: ly + 1, "font-size": 12, fill: "#222" }, s.name));
  });
  svg.append(legend);
  return svg;
}
