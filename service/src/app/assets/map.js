// The station's map as SVG: our own roads (GeoJSON from /app/api/roads), each courier's
// route in its colour, the households by status, the stations and the couriers' last
// positions. Equirectangular, x scaled by cos(latitude).

const SVG = "http://www.w3.org/2000/svg";
const W = 1000;

/** Colours of couriers, in turn. */
export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export class StationMap {
  constructor(box, stops, stations = []) {
    const places = [...stops, ...stations.filter((s) => s.lat !== null && s.lon !== null)];
    const lats = places.map((s) => s.lat), lons = places.map((s) => s.lon);
    const pad = 0.004;
    this.south = Math.min(...lats) - pad; this.north = Math.max(...lats) + pad;
    this.west = Math.min(...lons) - pad; this.east = Math.max(...lons) + pad;
    this.k = Math.cos(((this.south + this.north) / 2) * Math.PI / 180);
    const wDeg = (this.east - this.west) * this.k, hDeg = this.north - this.south;
    this.scale = W / Math.max(wDeg, 1e-9);
    this.h = Math.max(100, Math.round(hDeg * this.scale));
    this.root = svg("svg", { viewBox: `0 0 ${W} ${this.h}`, role: "img",
      "aria-label": `Map: ${stops.length} households on today's routes` });
    this.roads = svg("g", { class: "roads" });
    this.routes = svg("g", { class: "routes" });
    this.dots = svg("g", { class: "dots" });
    this.stations = svg("g", { class: "stations" });
    this.positions = svg("g", { class: "positions" });
    this.jam = svg("g", { class: "jams" });
    this.root.append(this.roads, this.jam, this.routes, this.dots, this.stations, this.positions);
    box.replaceChildren(this.root);
  }

  /** The point under a click on the map: [lat, lon]. */
  latLonAt(clientX, clientY) {
    const r = this.root.getBoundingClientRect();
    const x = (clientX - r.left) * (W / r.width), y = (clientY - r.top) * (this.h / r.height);
    return [this.north - y / this.scale, this.west + x / (this.k * this.scale)];
  }

  /** The stations as squares, each with its name. */
  drawStations(stations) {
    this.stations.replaceChildren();
    for (const s of stations) {
      if (s.lat === null || s.lon === null) continue;
      const [x, y] = this.xy(s.lat, s.lon);
      const mark = svg("rect", { x: (+x - 9).toFixed(1), y: (+y - 9).toFixed(1), width: 18, height: 18,
        class: "station-marker", id: "station-" + s.id, "data-lat": s.lat, "data-lon": s.lon });
      const title = svg("title");
      title.textContent = `Station: ${s.name}`;
      mark.append(title);
      this.stations.append(mark);
    }
  }

  /** Each courier's last known position as a triangle in its colour. */
  drawPositions(positions, colourOf, nameOf) {
    this.positions.replaceChildren();
    for (const p of positions) this.movePosition(p, colourOf, nameOf);
  }

  /** Places (or moves) one courier's position marker. */
  movePosition(p, colourOf, nameOf) {
    const [x, y] = this.xy(p.lat, p.lon).map(Number);
    let mark = this.root.getElementById("pos-" + p.courier);
    if (!mark) {
      mark = svg("polygon", { id: "pos-" + p.courier, class: "courier-pos", "data-courier": p.courier });
      mark.append(svg("title"));
      this.positions.append(mark);
    }
    mark.setAttribute("points", `${x},${y - 14} ${x - 9},${y + 4} ${x + 9},${y + 4}`);
    mark.setAttribute("fill", colourOf(p.courier));
    mark.setAttribute("data-household", p.household);
    const to = p.heading ? this.root.getElementById("dot-" + p.heading) : null;
    const toWhere = to ? `, heading to ${to.firstChild.textContent.split(":")[0]}` : "";
    if (p.heading) mark.setAttribute("data-heading", p.heading); else mark.removeAttribute("data-heading");
    mark.firstChild.textContent = `${nameOf(p.courier)}: last seen ${p.at || ""}${toWhere}`;
  }

  /** A jam's area as a circle (none: cleared). */
  drawJam(jam) {
    this.jam.replaceChildren();
    if (!jam) return;
    const [x, y] = this.xy(jam.lat, jam.lon);
    const r = (jam.radius_m / 111320) * this.scale;
    this.jam.append(svg("circle", { cx: x, cy: y, r: r.toFixed(1), class: "jam-area", id: "jam-area" }));
  }

  xy(lat, lon) {
    return [((lon - this.west) * this.k * this.scale).toFixed(1), ((this.north - lat) * this.scale).toFixed(1)];
  }

  drawRoads(geojson) {
    const parts = [];
    for (const f of geojson.features || []) {
      for (const line of f.geometry.coordinates) {
        line.forEach(([lon, lat], i) => {
          const [x, y] = this.xy(lat, lon);
          parts.push((i === 0 ? "M" : "L") + x + " " + y);
        });
      }
    }
    this.roads.replaceChildren(svg("path", { d: parts.join(""), class: "road" }));
  }

  drawRoutes(stops, colourOf) {
    const byCourier = new Map();
    for (const s of stops) {
      if (s.courier === null) continue;
      if (!byCourier.has(s.courier)) byCourier.set(s.courier, []);
      byCourier.get(s.courier).push(s);
    }
    this.routes.replaceChildren();
    for (const [c, list] of byCourier) {
      list.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
      const pts = list.map((s) => this.xy(s.lat, s.lon).join(",")).join(" ");
      this.routes.append(svg("polyline", { points: pts, class: "route", stroke: colourOf(c) }));
    }
    this.dots.replaceChildren();
    for (const s of stops) {
      const [x, y] = this.xy(s.lat, s.lon);
      const dot = svg("circle", { cx: x, cy: y, r: 6, id: "dot-" + s.household,
        class: "dot status-" + s.status, stroke: s.courier === null ? "#000" : colourOf(s.courier),
        "data-status": s.status });
      const title = svg("title");
      title.textContent = `${s.address}: ${s.status}`;
      dot.append(title);
      this.dots.append(dot);
    }
  }

  /** A stop's new status; true when it is on the map. */
  update(stop) {
    const dot = this.root.getElementById("dot-" + stop.household);
    if (!dot) return false;
    dot.setAttribute("class", "dot status-" + stop.status);
    dot.setAttribute("data-status", stop.status);
    dot.firstChild.textContent = `${stop.address}: ${stop.status}`;
    return true;
  }
}
