/* Evidence Review map page: fetches its layers from the evmap: scheme, draws them on
 * canvas, and talks to Python over QWebChannel. Written for this project.
 *
 * User text (titles, vessel names, overlay and basemap names) is only ever put in the
 * page with textContent, or escaped where Leaflet insists on HTML (layer control labels).
 */
(function () {
  'use strict';

  var EARTH_RADIUS_M = 6371008.8;
  var METRES_PER_NM = 1852;
  var CIRCLES_MIN_ZOOM = 7;
  var BBOX_TRACKS_MIN_ZOOM = 10;
  var MAX_TRACK_ZOOM = 14;
  var MAX_ARROWS = 3000;
  var STATUS_LABELS = [
    ['suspected', 'Suspected', '#e6a100'],
    ['under_review', 'Under review', '#1f78b4'],
    ['confirmed', 'Confirmed', '#c51b1b'],
    ['rejected', 'Rejected', '#7a7a7a'],
    ['inconclusive', 'Inconclusive', '#8e44ad']
  ];

  var S = {
    map: null, bridge: null, pending: [], options: {},
    incidentTiles: null, circles: null, layouts: new Map(), tip: null, hoverTrack: null,
    trackGroup: null, trackFeatures: [], trackCache: new Map(), trackSeq: 0,
    footprints: null, photos: null, overlays: new Map(), photoPanel: null,
    naturalEarth: null, land: null, graticule: null,
    window: null, extent: null, slider: null,
    place: null, selected: null, highlight: null, ref: null, footprintData: null,
    panels: {}, collapsed: {}, outer: null, frac: [0, 1],
    play: { playing: false, t: null, speed: 21600, last: null }, vessels: new Map(), vesselLayer: null,
    drawnVessels: [], participants: new Set(), focusTrack: null,
    measure: null, measureLayer: null, measureReadout: null, modeLine: null,
    loaded: { land: false, incidents: false, tracks: false, footprints: false, overlays: false },
    ready: false, readyMs: null, errors: [], marks: {},
    perf: { tiles: 0, tileMs: 0, layoutMs: 0, vectorRepaints: 0 },
    counts: { land: 0, landPolygons: 0, incidents: 0, incidentsShown: 0, circles: 0,
      tracks: 0, trackVertices: 0, arrows: 0, footprints: 0, overlays: 0 }
  };

  // ---------------------------------------------------------------- helpers

  /** Milliseconds since navigation start at which a loading step finished (for the benchmark). */
  function mark(name) { S.marks[name] = Math.round(performance.now()); }

  // ---------------------------------------------------------------- the side of the antimeridian in view
  /* Leaflet does not wrap: after a pan across 180° the view looks at another world copy and
   * reports longitudes such as -231.3. What the case holds (stored in -180..180) is drawn once,
   * in the copy nearest the view: every longitude is shifted by whole turns into
   * [S.ref - 180, S.ref + 180). S.ref follows the view's centre in 30° steps, and only when the
   * seam (S.ref ± 180) comes within half a view of the visible edge: zoomed in, a pan across a
   * whole ocean redraws nothing; at zoom 2, where two copies are in view, the seam is visible. */
  function wrapLng(lng) { return L.Util.wrapNum(lng, [-180, 180], true); }
  function sideShift(lng) { return S.ref === null ? 0 : Math.round((S.ref - lng) / 360) * 360; }
  function sideLng(lng) { return lng + sideShift(lng); }

  function updateSide() {
    var c = S.map.getCenter().lng, b = S.map.getBounds();
    var limit = Math.max(15, 180 - 0.75 * (b.getEast() - b.getWest()));
    if (S.ref !== null && Math.abs(c - S.ref) <= limit) return false;
    var ref = Math.round(c / 30) * 30;
    if (ref === S.ref) return false;
    S.ref = ref;
    return true;
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function fmtTime(t) {
    if (t === null || t === undefined) return '';
    return new Date(t * 1000).toISOString().replace('.000Z', 'Z').replace('T', ' ');
  }

  function haversine(a, b) {
    var rad = Math.PI / 180;
    var dLat = (b.lat - a.lat) * rad, dLon = (b.lng - a.lng) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function bearing(a, b) {
    var rad = Math.PI / 180;
    var y = Math.sin((b.lng - a.lng) * rad) * Math.cos(b.lat * rad);
    var x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad) -
      Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lng - a.lng) * rad);
    return (Math.atan2(y, x) / rad + 360) % 360;
  }

  function trackHue(mmsi) { return (Number(mmsi) * 2654435761 % 360 + 360) % 360; }

  function trackColour(mmsi) { return 'hsl(' + trackHue(mmsi) + ', 85%, 32%)'; }

  function callBridge(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    if (S.bridge) S.bridge[name].apply(S.bridge, args);
    else S.pending.push([name, args]);
  }

  function connectBridge() {
    if (typeof QWebChannel === 'undefined' || !window.qt || !window.qt.webChannelTransport) return;
    new QWebChannel(window.qt.webChannelTransport, function (channel) {
      S.bridge = channel.objects.bridge;
      S.pending.splice(0).forEach(function (call) { S.bridge[call[0]].apply(S.bridge, call[1]); });
    });
  }

  function getJSON(path) {
    return fetch(path).then(function (response) {
      if (!response.ok) throw new Error(path + ': HTTP ' + response.status);
      return response.json();
    });
  }

  function inWindow(t0, t1) {
    if (!S.window) return true;
    if (t0 === null || t0 === undefined) return true;
    var end = (t1 === null || t1 === undefined) ? t0 : t1;
    return end >= S.window[0] && t0 <= S.window[1];
  }

  /** A control box with a header line that folds its body away; ``build(body, top, box)`` fills
   * it (what must stay in reach when folded goes on the header line ``top``, or in ``box``). The
   * folded state is reported to Python, which remembers it and hands it back in the page options. */
  function panel(position, name, title, build) {
    var Control = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var box = el('div', null, 'evmap-panel leaflet-control');
        box.setAttribute('data-panel', name);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var top = el('div', null, 'evmap-panel-top');
        var head = el('button', title, 'evmap-panel-head');
        head.type = 'button';
        top.appendChild(head);
        var body = el('div', null, 'evmap-panel-body');
        box.appendChild(top);
        box.appendChild(body);
        head.addEventListener('click', function () { setCollapsed(name, !S.collapsed[name], true); });
        S.panels[name] = box;
        build(body, top, box);
        setCollapsed(name, !!S.collapsed[name], false);
        return box;
      }
    });
    return new Control().addTo(S.map);
  }

  function setCollapsed(name, folded, tell) {
    S.collapsed[name] = !!folded;
    var box = S.panels[name];
    if (box) {
      box.classList.toggle('evmap-collapsed', !!folded);
      var head = box.querySelector('.evmap-panel-head');
      head.setAttribute('aria-expanded', String(!folded));
      head.title = folded ? 'Show' : 'Hide';
    }
    if (tell) callBridge('notifyPanelsChanged', JSON.stringify(S.collapsed));
  }

  // ---------------------------------------------------------------- projection and tiles

  // Spherical Mercator in Leaflet's zoom-0 pixels (0..256): global pixel at zoom z = value * 2^z.
  // Same formulas as L.CRS.EPSG3857, written out so large arrays project without objects.
  var MAX_LAT = 85.0511287798;
  function mercX(lng) { return (lng / 360 + 0.5) * 256; }
  function mercY(lat) {
    var s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180);
    return (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * 256;
  }
  function unmercY(y) { return Math.atan(Math.sinh(Math.PI * (1 - 2 * y / 256))) * 180 / Math.PI; }

  // 256-pixel tiles: measured against 512 and 1024 (bench_map), the smaller tiles spread the
  // drawing of newly uncovered tiles over more frames, so no single pan frame stalls.
  var TILE = 256;

  function newTileCanvas(layer) {
    var size = layer.getTileSize();
    var tile = document.createElement('canvas');
    tile.width = size.x;
    tile.height = size.y;
    return tile;
  }

  /** A canvas tile layer drawn by ``draw(ctx, coords, tile)``. Leaflet caches the tiles, so a
   * pan draws only the tiles it uncovers, instead of repainting a viewport-sized canvas. */
  var DrawnTiles = L.GridLayer.extend({
    initialize: function (draw, options) {
      this._drawTile = draw;
      L.GridLayer.prototype.initialize.call(this, options);
    },
    /** Tiles of case data see their own world copy (unwrapped x) and draw only what is on the
     * view's side; the basemap keeps Leaflet's wrapping and repeats in every copy. */
    _wrapCoords: function (coords) {
      return this.options.ownCopy ? coords : L.GridLayer.prototype._wrapCoords.call(this, coords);
    },
    createTile: function (coords) {  // one argument: Leaflet treats the tile as ready at once
      var tile = newTileCanvas(this);
      var t0 = performance.now();
      this._drawTile(tile.getContext('2d'), coords, tile);
      S.perf.tiles += 1;
      S.perf.tileMs += performance.now() - t0;
      return tile;
    },
    /** Tiles of the current zoom that are on the map now. */
    liveTiles: function () {
      var out = [], zoom = this._tileZoom;
      for (var key in this._tiles) {
        var t = this._tiles[key];
        if (t.current && t.coords.z === zoom) out.push(t);
      }
      return out;
    }
  });

  /** Canvas renderer that skips its full repaint on moveend while the view is still inside
   * the padded area it last painted (same zoom, same pixel origin). Leaflet's own renderer
   * repaints everything on every moveend, which is what made each pan step stall. */
  var LazyCanvas = L.Canvas.extend({
    _update: function () {
      var map = this._map;
      if (this._bounds && !(map._animatingZoom) && this._zoom === map.getZoom() &&
          this._origin && this._origin.equals(map.getPixelOrigin())) {
        var view = L.bounds(map.containerPointToLayerPoint([0, 0]), map.containerPointToLayerPoint(map.getSize()));
        if (this._bounds.contains(view)) return;
      }
      L.Canvas.prototype._update.call(this);
      this._origin = map.getPixelOrigin();
      S.perf.vectorRepaints += 1;
    }
  });

  // ---------------------------------------------------------------- basemap

  /** Land polygons as flat zoom-0 Mercator arrays, with one bounding box per polygon, and per
   * zoom a copy in that zoom's pixels without the vertices closer than half a pixel. */
  var LAND = { x: null, y: null, polys: [], byZoom: new Map() };

  function prepareLand(data) {
    var total = 0;
    data.features.forEach(function (f) {
      var polys = f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [f.geometry.coordinates];
      polys.forEach(function (poly) { poly.forEach(function (ring) { total += ring.length; }); });
    });
    var xs = new Float64Array(total), ys = new Float64Array(total), at = 0, polys = [];
    data.features.forEach(function (f) {
      var list = f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [f.geometry.coordinates];
      list.forEach(function (poly) {
        var p = { rings: [], x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
        poly.forEach(function (ring) {
          var start = at;
          for (var i = 0; i < ring.length; i++) {
            var x = mercX(ring[i][0]), y = mercY(ring[i][1]);
            xs[at] = x; ys[at] = y; at += 1;
            if (x < p.x0) p.x0 = x; if (x > p.x1) p.x1 = x;
            if (y < p.y0) p.y0 = y; if (y > p.y1) p.y1 = y;
          }
          p.rings.push([start, at]);
        });
        polys.push(p);
      });
    });
    LAND.x = xs; LAND.y = ys; LAND.polys = polys; LAND.byZoom.clear();
  }

  function landAtZoom(zoom) {
    var cached = LAND.byZoom.get(zoom);
    if (cached) return cached;
    var k = Math.pow(2, zoom), xs = LAND.x, ys = LAND.y;
    var outX = new Float64Array(xs.length), outY = new Float64Array(xs.length), at = 0, rings = [];
    LAND.polys.forEach(function (poly) {
      var list = [];
      poly.rings.forEach(function (ring) {
        var a = ring[0], b = ring[1], start = at, lx = Infinity, ly = Infinity;
        for (var i = a; i < b; i++) {
          var x = xs[i] * k, y = ys[i] * k;
          if (i > a && i < b - 1 && Math.abs(x - lx) + Math.abs(y - ly) < 0.5) continue;
          outX[at] = x; outY[at] = y; at += 1; lx = x; ly = y;
        }
        list.push([start, at]);
      });
      rings.push(list);
    });
    var result = { x: outX, y: outY, rings: rings };
    LAND.byZoom.set(zoom, result);
    return result;
  }

  function drawLandTile(ctx, coords, tile) {
    var size = tile.width;
    if (LAND.x) {
      var k = Math.pow(2, coords.z), at = landAtZoom(coords.z);
      var ox = coords.x * size, oy = coords.y * size, margin = 2;
      var bx0 = (ox - margin) / k, by0 = (oy - margin) / k, bx1 = (ox + size + margin) / k, by1 = (oy + size + margin) / k;
      var xs = at.x, ys = at.y, drawn = [];
      ctx.beginPath();
      for (var p = 0; p < LAND.polys.length; p++) {
        var poly = LAND.polys[p];
        if (poly.x1 < bx0 || poly.x0 > bx1 || poly.y1 < by0 || poly.y0 > by1) continue;
        drawn.push(p);
        var rings = at.rings[p];
        for (var r = 0; r < rings.length; r++) {
          var a = rings[r][0], b = rings[r][1];
          ctx.moveTo(xs[a] - ox, ys[a] - oy);
          for (var i = a + 1; i < b; i++) ctx.lineTo(xs[i] - ox, ys[i] - oy);
          ctx.closePath();
        }
      }
      if (drawn.length) {
        ctx.fillStyle = '#efe8d4';
        ctx.fill('evenodd');
        ctx.lineWidth = 0.8;
        ctx.strokeStyle = '#55624f';
        ctx.stroke();
      }
      tile.evmapLand = drawn;
    }
    // The graticule lines share the land tiles (half the tiles to composite while panning);
    // the "Graticule" switch redraws them with or without.
    if (S.map.hasLayer(S.graticule)) drawGraticuleLines(ctx, coords, size);
  }

  function loadLand() {
    return getJSON('/basemap/land.geojson').then(function (data) {
      mark('landFetched');
      prepareLand(data);
      mark('landPrepared');
      S.counts.land = data.features.length;
      S.counts.landPolygons = LAND.polys.length;
      S.land.redraw();
      S.loaded.land = true;
      mark('landDrawn');
    });
  }

  var GRATICULE_STEPS = [30, 30, 20, 10, 5, 5, 2, 1, 1, 0.5, 0.25, 0.1, 0.05, 0.05, 0.02];

  function gratStep(zoom) {
    return GRATICULE_STEPS[Math.max(0, Math.min(GRATICULE_STEPS.length - 1, Math.round(zoom)))];
  }

  function drawGraticuleLines(ctx, coords, size) {
    var k = Math.pow(2, coords.z), step = gratStep(coords.z);
    var ox = coords.x * size, oy = coords.y * size;
    var west = (ox / k / 256 - 0.5) * 360, east = ((ox + size) / k / 256 - 0.5) * 360;
    var north = unmercY(oy / k), south = unmercY((oy + size) / k);
    ctx.beginPath();
    var lon, lat, v;
    for (lon = Math.ceil(west / step) * step; lon <= east + 1e-9; lon += step) {
      v = mercX(lon) * k - ox;
      ctx.moveTo(v, 0); ctx.lineTo(v, size);
    }
    for (lat = Math.ceil(Math.max(-85, south) / step) * step; lat <= Math.min(85, north) + 1e-9; lat += step) {
      v = mercY(lat) * k - oy;
      ctx.moveTo(0, v); ctx.lineTo(size, v);
    }
    ctx.strokeStyle = 'rgba(61, 90, 120, 0.55)';
    ctx.lineWidth = 0.6;
    ctx.stroke();
  }

  function fmtDegrees(value, pos, neg) {
    var v = Number(Math.abs(value).toFixed(2));
    return v + '\u00b0' + (value > 0 ? pos : value < 0 ? neg : '');
  }

  /** Degree labels along the top and left edges of the view (the lines are in the land
   * tiles). They sit in one box over the map, outside the panes, and are moved, not rebuilt,
   * as the map moves: a pan frame touches a few style properties and creates no element. */
  function drawGraticuleLabels() {
    var box = S.gratBox, used = 0;
    if (S.map.hasLayer(S.graticule)) {
      var step = gratStep(S.map.getZoom()), size = S.map.getSize();
      var b = S.map.getBounds();
      var south = Math.max(-85, b.getSouth()), north = Math.min(85, b.getNorth());
      var mid = S.map.getCenter().lng;
      var west = Math.max(mid - 180, b.getWest()), east = Math.min(mid + 180, b.getEast());
      var place = function (text, x, y) {
        var label = box.children[used] || box.appendChild(el('span', null, 'evmap-grat-label'));
        if (label.textContent !== text) label.textContent = text;
        label.style.transform = 'translate(' + Math.round(x) + 'px,' + Math.round(y) + 'px)';
        label.style.display = '';
        used += 1;
      };
      var lon, lat;
      for (lon = Math.ceil(west / step) * step; lon <= east + 1e-9 && used < 200; lon += step) {
        place(fmtDegrees(wrapLng(lon), 'E', 'W'), S.map.latLngToContainerPoint([north, lon]).x + 3, 3);
      }
      for (lat = Math.ceil(south / step) * step; lat <= north + 1e-9 && used < 200; lat += step) {
        var y = S.map.latLngToContainerPoint([lat, west]).y;
        if (y > 16 && y < size.y - 4) place(fmtDegrees(lat, 'N', 'S'), 3, y - 14);
      }
    }
    for (var i = used; i < box.children.length; i++) box.children[i].style.display = 'none';
  }

  // ---------------------------------------------------------------- incidents

  /* Incidents live in parallel arrays (one entry per incident with a position), are laid
   * out once per zoom (grid clusters below CLUSTER_MAX_ZOOM, single points above), bucketed
   * by tile, and drawn into canvas tiles. Hover and click hit-test the same layout, so no
   * Leaflet object exists per incident; only the selected one gets a (draggable) marker. */
  var CLUSTER_MAX_ZOOM = 8;  // clusters below this zoom, like MarkerCluster's disableClusteringAtZoom
  var CLUSTER_RADIUS = 40;   // screen pixels, as MarkerCluster's maxClusterRadius
  var POINT_R = 6;
  var INC = { n: 0, id: [], title: [], status: [], colour: [], lat: [], lng: [], x: [], y: [],
    r: [], t0: [], t1: [], shown: [], mmsis: [], byId: new Map(), palette: [], paletteStatus: [] };

  function paletteIndex(colour, status) {
    var i = INC.palette.indexOf(colour);
    if (i < 0) { INC.palette.push(colour); INC.paletteStatus.push(status); i = INC.palette.length - 1; }
    return i;
  }

  function setIncident(i, id, title, status, colour, lat, lng, r, t0, t1, mmsis) {
    INC.mmsis[i] = mmsis || [];
    INC.id[i] = id; INC.title[i] = title; INC.status[i] = status; INC.colour[i] = paletteIndex(colour, status);
    INC.lat[i] = lat; INC.lng[i] = lng; INC.x[i] = mercX(lng); INC.y[i] = mercY(lat);
    INC.r[i] = r; INC.t0[i] = t0; INC.t1[i] = (t1 === null || t1 === undefined) ? t0 : t1;
    INC.shown[i] = inWindow(INC.t0[i], INC.t1[i]);
    INC.byId.set(id, i);
  }

  function loadIncidentColumns(c) {
    INC.n = 0; INC.byId.clear();
    ['id', 'title', 'status', 'colour', 'lat', 'lng', 'x', 'y', 'r', 't0', 't1', 'shown', 'mmsis'].forEach(function (k) { INC[k] = []; });
    for (var i = 0; i < c.id.length; i++) {
      setIncident(i, c.id[i], c.title[i], c.statuses[c.status[i]], c.colours[c.status[i]],
        c.lat[i], c.lon[i], c.radius_m[i], c.t0[i], c.t1[i], c.mmsis ? c.mmsis[i] : []);
    }
    INC.n = c.id.length;
    incidentsChanged();
  }

  function incidentsChanged() {
    S.layouts.clear();
    var shown = 0;
    for (var i = 0; i < INC.n; i++) if (INC.shown[i]) shown += 1;
    S.counts.incidents = INC.n;
    S.counts.incidentsShown = shown;
    S.incidentTiles.redraw();
  }

  function tileKey(tx, ty) { return tx + ':' + ty; }

  function metresPerPixel(lat, zoom) {
    return 40075016.686 * Math.cos(lat * Math.PI / 180) / (256 * Math.pow(2, zoom));
  }

  /** Symbols (points or clusters) for one zoom, bucketed by the tile holding their centre.
   *
   * Below CLUSTER_MAX_ZOOM, greedy distance clustering (as MarkerCluster does): in index
   * order, each incident not yet taken seeds a cluster and takes every free incident within
   * CLUSTER_RADIUS pixels, found through a grid of radius-sized cells. The cluster is drawn
   * at its members' centroid; a cluster of one is drawn as the incident itself. */
  function layoutFor(zoom) {
    var cached = S.layouts.get(zoom);
    if (cached) return cached;
    var t0 = performance.now();
    var k = Math.pow(2, zoom), clustered = zoom < CLUSTER_MAX_ZOOM;
    var symbols = [], points = new Map(), grid = new Map(), shown = [];
    var maxCircle = 0, circles = 0, i, gx, gy, key, list;
    var gxs = new Float64Array(INC.n), gys = new Float64Array(INC.n);
    for (i = 0; i < INC.n; i++) {
      if (!INC.shown[i]) continue;
      gx = gxs[i] = INC.x[i] * k; gy = gys[i] = INC.y[i] * k;
      shown.push(i);
      key = tileKey(Math.floor(gx / TILE), Math.floor(gy / TILE));
      list = points.get(key);
      if (!list) { list = []; points.set(key, list); }
      list.push(i);
      if (INC.r[i] && zoom >= CIRCLES_MIN_ZOOM) {
        circles += 1;
        maxCircle = Math.max(maxCircle, INC.r[i] / metresPerPixel(INC.lat[i], zoom));
      }
      if (!clustered) {
        symbols.push({ x: gx, y: gy, n: 1, i: i, r: POINT_R });
        continue;
      }
      key = tileKey(Math.floor(gx / CLUSTER_RADIUS), Math.floor(gy / CLUSTER_RADIUS));
      list = grid.get(key);
      if (!list) { list = []; grid.set(key, list); }
      list.push(i);
    }
    if (clustered) {
      var taken = new Uint8Array(INC.n), r2 = CLUSTER_RADIUS * CLUSTER_RADIUS;
      shown.forEach(function (seed) {
        if (taken[seed]) return;
        var sx = gxs[seed], sy = gys[seed];
        var c = { x: 0, y: 0, n: 0, i: seed, counts: [], x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
        around(grid, Math.floor(sx / CLUSTER_RADIUS), Math.floor(sy / CLUSTER_RADIUS), 1, function (cell) {
          for (var m = 0; m < cell.length; m++) {
            var j = cell[m];
            if (taken[j]) continue;
            var dx = gxs[j] - sx, dy = gys[j] - sy;
            if (dx * dx + dy * dy > r2) continue;
            taken[j] = 1;
            c.x += gxs[j]; c.y += gys[j]; c.n += 1;
            c.counts[INC.colour[j]] = (c.counts[INC.colour[j]] || 0) + 1;
            if (INC.x[j] < c.x0) c.x0 = INC.x[j]; if (INC.x[j] > c.x1) c.x1 = INC.x[j];
            if (INC.y[j] < c.y0) c.y0 = INC.y[j]; if (INC.y[j] > c.y1) c.y1 = INC.y[j];
          }
        });
        c.x /= c.n; c.y /= c.n;
        c.r = c.n === 1 ? POINT_R : Math.min(22, 11 + 3.5 * Math.log(c.n) / Math.LN10);
        if (c.n === 1) { c.x = sx; c.y = sy; }
        symbols.push(c);
      });
    }
    var byTile = new Map();
    symbols.forEach(function (s) {
      var tk = tileKey(Math.floor(s.x / TILE), Math.floor(s.y / TILE));
      var bucket = byTile.get(tk);
      if (!bucket) { bucket = []; byTile.set(tk, bucket); }
      bucket.push(s);
    });
    var layout = { zoom: zoom, symbols: byTile, points: points, clustered: clustered,
      circles: circles, circleReach: Math.min(3, Math.ceil((maxCircle + 2) / TILE)) };
    S.layouts.set(zoom, layout);
    S.perf.layoutMs += performance.now() - t0;
    return layout;
  }

  function around(map, tx, ty, reach, visit) {
    for (var dx = -reach; dx <= reach; dx++) {
      for (var dy = -reach; dy <= reach; dy++) {
        var list = map.get(tileKey(tx + dx, ty + dy));
        if (list) visit(list);
      }
    }
  }

  /** Like ``around`` for a tile of any world copy (tx unwrapped): each list comes with the pixel
   * shift of the copy its tile lies in; ``onSide`` says whether a point belongs to the view's side. */
  function aroundCopies(map, tx, ty, reach, zoom, visit) {
    var n = Math.pow(2, zoom), worldPx = TILE * n;
    for (var dx = -reach; dx <= reach; dx++) {
      var ux = tx + dx, copy = Math.floor(ux / n);
      for (var dy = -reach; dy <= reach; dy++) {
        var list = map.get(tileKey(ux - copy * n, ty + dy));
        if (list) visit(list, copy * worldPx);
      }
    }
  }

  /** Whether a point at global pixel x (of this zoom, in whichever copy) is in the view's side. */
  function onSide(x, zoom) {
    if (S.ref === null) return true;
    var worldPx = TILE * Math.pow(2, zoom), refPx = mercX(S.ref) * Math.pow(2, zoom);
    return x >= refPx - worldPx / 2 && x < refPx + worldPx / 2;
  }

  function drawCircles(ctx, coords, size) {
    var layout = layoutFor(coords.z), k = Math.pow(2, coords.z);
    var ox = coords.x * size, oy = coords.y * size, byColour = [];
    aroundCopies(layout.points, coords.x, coords.y, layout.circleReach, coords.z, function (list, shift) {
      list.forEach(function (i) {
        if (!INC.r[i] || !onSide(INC.x[i] * k + shift, coords.z)) return;
        (byColour[INC.colour[i]] = byColour[INC.colour[i]] || []).push([i, shift]);
      });
    });
    byColour.forEach(function (list, c) {
      if (!list) return;
      ctx.beginPath();
      list.forEach(function (entry) {
        var i = entry[0];
        var x = INC.x[i] * k + entry[1] - ox, y = INC.y[i] * k - oy, r = INC.r[i] / metresPerPixel(INC.lat[i], coords.z);
        if (x + r < 0 || y + r < 0 || x - r > size || y - r > size) return;
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, 2 * Math.PI);
      });
      ctx.fillStyle = INC.palette[c];
      ctx.globalAlpha = 0.08;
      ctx.fill();
      ctx.globalAlpha = 0.8;
      ctx.strokeStyle = INC.palette[c];
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.globalAlpha = 1;
    });
  }

  function clusterLabel(n) { return n < 1000 ? String(n) : (n / 1000).toFixed(n < 10000 ? 1 : 0) + 'k'; }

  function drawIncidentTile(ctx, coords, tile) {
    var layout = layoutFor(coords.z), size = tile.width;
    var ox = coords.x * size, oy = coords.y * size;
    var singles = [], clusters = [], owned = [];
    aroundCopies(layout.symbols, coords.x, coords.y, 1, coords.z, function (list, shift) {
      list.forEach(function (s) {
        if (!onSide(s.x + shift, coords.z)) return;
        // A symbol drawn in another world copy: a shifted stand-in (none made for copy 0).
        if (shift) s = { x: s.x + shift, y: s.y, n: s.n, i: s.i, r: s.r, counts: s.counts };
        var x = s.x - ox, y = s.y - oy;
        if (x + s.r < -2 || y + s.r < -2 || x - s.r > size + 2 || y - s.r > size + 2) return;
        (s.n === 1 ? singles : clusters).push(s);
        // Each symbol belongs to the one tile holding its centre: that is what stats() counts.
        if (x >= 0 && y >= 0 && x < size && y < size) owned.push(s);
      });
    });
    tile.evmapSymbols = owned;
    // The uncertainty circles share the incident tiles, under the points; the
    // "Position uncertainty" switch redraws the tiles with or without them.
    if (coords.z >= CIRCLES_MIN_ZOOM && S.map.hasLayer(S.circles)) drawCircles(ctx, coords, size);
    ctx.translate(-ox, -oy);
    var byColour = [];
    singles.forEach(function (s) { (byColour[INC.colour[s.i]] = byColour[INC.colour[s.i]] || []).push(s); });
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = '#1b1b1b';
    byColour.forEach(function (list, c) {
      if (!list) return;
      ctx.beginPath();
      list.forEach(function (s) { ctx.moveTo(s.x + POINT_R, s.y); ctx.arc(s.x, s.y, POINT_R, 0, 2 * Math.PI); });
      ctx.fillStyle = INC.palette[c];
      ctx.fill();
      ctx.stroke();
    });
    if (!clusters.length) return;
    ctx.font = 'bold 11px sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    clusters.forEach(function (s) {
      // A ring split by status shares, the count in the middle.
      var start = -Math.PI / 2;
      s.counts.forEach(function (count, c) {
        if (!count) return;
        var end = start + 2 * Math.PI * count / s.n;
        ctx.beginPath();
        ctx.moveTo(s.x, s.y);
        ctx.arc(s.x, s.y, s.r, start, end);
        ctx.closePath();
        ctx.fillStyle = INC.palette[c];
        ctx.fill();
        start = end;
      });
      ctx.beginPath();
      ctx.arc(s.x, s.y, s.r, 0, 2 * Math.PI);
      ctx.lineWidth = 1;
      ctx.strokeStyle = '#1b1b1b';
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(s.x, s.y, s.r - 5, 0, 2 * Math.PI);
      ctx.fillStyle = 'rgba(255, 255, 255, 0.92)';
      ctx.fill();
      ctx.fillStyle = '#111';
      ctx.fillText(clusterLabel(s.n), s.x, s.y + 0.5);
    });
  }

  /** The incident symbol under a map position (the nearest one within reach), or null. Its
   * ``shift`` is the zoom-0 offset of the world copy it is drawn in. */
  function incidentAt(latlng) {
    if (!S.map.hasLayer(S.incidentTiles) || !INC.n) return null;
    var zoom = Math.round(S.map.getZoom()), k = Math.pow(2, zoom);
    var layout = layoutFor(zoom), p = S.map.project(latlng, zoom);
    var best = null, bestD = Infinity, bestShift = 0;
    aroundCopies(layout.symbols, Math.floor(p.x / TILE), Math.floor(p.y / TILE), 1, zoom, function (list, shift) {
      list.forEach(function (s) {
        var sx = s.x + shift;
        if (!onSide(sx, zoom)) return;
        var d = Math.sqrt((sx - p.x) * (sx - p.x) + (s.y - p.y) * (s.y - p.y));
        if (d <= s.r + 2 && d <= bestD) { best = s; bestD = d; bestShift = shift / k; }
      });
    });
    return best ? L.extend({}, best, { shift: bestShift }) : null;
  }

  function incidentTip(i) {
    var box = el('div');
    box.appendChild(el('div', INC.title[i] || '(untitled incident)', 'evmap-tip-title'));
    box.appendChild(el('div', String(INC.status[i]).replace('_', ' ') + (INC.t0[i] ? ' \u00b7 ' + fmtTime(INC.t0[i]) : '')));
    if (INC.r[i]) box.appendChild(el('div', '\u00b1 ' + Math.round(INC.r[i]) + ' m'));
    return box;
  }

  function clusterTip(s) {
    var box = el('div');
    box.appendChild(el('div', s.n.toLocaleString('en') + ' incidents', 'evmap-tip-title'));
    s.counts.forEach(function (count, c) {
      if (!count) return;
      var row = el('div');
      var swatch = el('span', null, 'evmap-legend-swatch');
      swatch.style.background = INC.palette[c];
      row.appendChild(swatch);
      row.appendChild(el('span', count.toLocaleString('en') + ' ' + String(INC.paletteStatus[c]).replace('_', ' ')));
      box.appendChild(row);
    });
    box.appendChild(el('div', 'click to zoom in'));
    return box;
  }

  function loadIncidents() {
    return getJSON('/data/incidents.json').then(function (columns) {
      mark('incidentsFetched');
      loadIncidentColumns(columns);
      computeExtent();
      S.loaded.incidents = true;
      mark('incidentsDrawn');
      // A selection asked for before these incidents arrived (a case still loading).
      if (S.wanted && S.wanted !== S.selected && INC.byId.has(S.wanted)) EvidenceMap.selectIncident(S.wanted, false);
    });
  }

  // ---------------------------------------------------------------- shared tooltip

  function showTip(content, latlng) {
    S.tip.setContent(content);
    S.tip.setLatLng(latlng);
    if (!S.map.hasLayer(S.tip)) S.tip.addTo(S.map);
  }

  function hideTip() { if (S.map.hasLayer(S.tip)) S.map.removeLayer(S.tip); }

  function onMapHover(ev) {
    var hit = (S.place || S.measure) ? null : incidentAt(ev.latlng);
    S.map.getContainer().classList.toggle('evmap-hit', !!hit);
    if (hit) {
      showTip(hit.n === 1 ? incidentTip(hit.i) : clusterTip(hit),
        hit.n === 1 ? L.latLng(INC.lat[hit.i], sideLng(INC.lng[hit.i])) :
          S.map.unproject([hit.x + hit.shift * Math.pow(2, Math.round(S.map.getZoom())), hit.y], Math.round(S.map.getZoom())));
    } else if (S.hoverTrack) {
      showTip(trackTip(S.hoverTrack.line, S.hoverTrack.latlng), S.hoverTrack.latlng);
    } else {
      hideTip();
    }
    S.hoverTrack = null;
  }

  // ---------------------------------------------------------------- tracks

  function trackZoom() { return Math.max(0, Math.min(MAX_TRACK_ZOOM, Math.round(S.map.getZoom()))); }

  function loadTracks() {
    var zoom = trackZoom();
    var query = '?z=' + zoom;
    var key = null;
    if (zoom >= BBOX_TRACKS_MIN_ZOOM) {
      var b = S.map.getBounds().pad(0.5);
      // The store's longitudes are in -180..180: ask in those terms, and for every track when
      // the view straddles the antimeridian (a box cannot say "both ends").
      var west = b.getWest(), east = b.getEast(), turn = Math.floor((west + 180) / 360) * 360;
      west -= turn; east -= turn;
      if (east <= 180) {
        query += '&west=' + west + '&south=' + b.getSouth() + '&east=' + east + '&north=' + b.getNorth();
      }
    } else {
      key = zoom;
    }
    var seq = ++S.trackSeq;
    var cached = key !== null ? S.trackCache.get(key) : null;
    var pending = cached ? Promise.resolve(cached) : getJSON('/data/tracks.geojson' + query);
    return pending.then(function (data) {
      if (key !== null) S.trackCache.set(key, data);
      if (seq !== S.trackSeq) return;  // a newer zoom's request superseded this one
      mark('tracksFetched');
      S.trackFeatures = data.features;
      drawTracks();
      computeExtent();
      S.loaded.tracks = true;
      mark('tracksDrawn');
    });
  }

  function nearestOnTrack(line, latlng) {
    var pts = line.getLatLngs(), times = line.evmapTimes;
    var target = S.map.latLngToLayerPoint(latlng);
    var best = 0, bestD = Infinity;
    for (var i = 0; i < pts.length; i++) {
      var d = target.distanceTo(S.map.latLngToLayerPoint(pts[i]));
      if (d < bestD) { bestD = d; best = i; }
    }
    var a = pts[Math.max(0, best - (best === pts.length - 1 ? 1 : 0))];
    var b = pts[Math.min(pts.length - 1, best + (best === pts.length - 1 ? 0 : 1))];
    return { time: times[best], course: bearing(a, b) };
  }

  function trackTip(line, latlng) {
    var near = nearestOnTrack(line, latlng);
    var box = el('div');
    box.appendChild(el('div', line.evmapName || ('MMSI ' + line.evmapMmsi), 'evmap-tip-title'));
    box.appendChild(el('div', 'MMSI ' + line.evmapMmsi));
    box.appendChild(el('div', fmtTime(near.time)));
    box.appendChild(el('div', 'course ' + String(Math.round(near.course)).padStart(3, '0') + '\u00b0'));
    return box;
  }

  var ARROW_SPACING = 90;

  /** A track line that draws its direction arrows in the same canvas pass as the line,
   * instead of one Leaflet polygon per arrow. Arrows are placed in pixels per zoom. */
  var ArrowLine = L.Polyline.extend({
    _project: function () {
      L.Polyline.prototype._project.call(this);
      var arrows = [], budget = this.options.arrowBudget;
      for (var r = 0; r < this._rings.length && arrows.length < budget; r++) {
        var pts = this._rings[r], carried = ARROW_SPACING / 2;
        for (var i = 1; i < pts.length && arrows.length < budget; i++) {
          var a = pts[i - 1], b = pts[i];
          var seg = Math.sqrt((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y));
          if (seg === 0) continue;
          var ux = (b.x - a.x) / seg, uy = (b.y - a.y) / seg, along = ARROW_SPACING - carried;
          while (along <= seg && arrows.length < budget) {
            arrows.push([a.x + ux * along, a.y + uy * along, ux, uy]);
            along += ARROW_SPACING;
          }
          carried = seg - (along - ARROW_SPACING);
        }
      }
      this._arrows = arrows;
    },
    _updatePath: function () {
      L.Polyline.prototype._updatePath.call(this);
      var renderer = this._renderer;
      if (!renderer._drawing || !this._arrows || !this._arrows.length) return;
      var ctx = renderer._ctx;
      ctx.beginPath();
      this._arrows.forEach(function (w) {
        var cx = w[0], cy = w[1], ux = w[2], uy = w[3];
        ctx.moveTo(cx + ux * 5, cy + uy * 5);
        ctx.lineTo(cx - ux * 4 - uy * 4, cy - uy * 4 + ux * 4);
        ctx.lineTo(cx - ux * 4 + uy * 4, cy - uy * 4 - ux * 4);
        ctx.closePath();
      });
      ctx.globalAlpha = Math.min(0.95, this.options.opacity + 0.1);  // faded with its line
      ctx.fillStyle = this.options.color;
      ctx.fill();
      ctx.globalAlpha = 1;
    }
  });

  function drawTracks() {
    S.trackGroup.clearLayers();
    var lines = 0, vertices = 0;
    var perLine = Math.max(2, Math.floor(MAX_ARROWS / Math.max(1, S.trackFeatures.length)));
    S.trackFeatures.forEach(function (f) {
      var coords = f.geometry.coordinates, times = f.properties.t;
      var latlngs = [], kept = [];
      // Parts are cut at ±180° by the server: each part moves whole to the view's side.
      var shift = coords.length ? sideShift(coords[coords.length >> 1][0]) : 0;
      for (var i = 0; i < coords.length; i++) {
        if (!S.window || (times[i] >= S.window[0] && times[i] <= S.window[1])) {
          latlngs.push([coords[i][1], coords[i][0] + shift]);
          kept.push(times[i]);
        }
      }
      if (latlngs.length < 2) return;
      var line = new ArrowLine(latlngs, {
        renderer: S.renderer, color: trackColour(f.properties.mmsi), weight: 2, opacity: 0.85, arrowBudget: perLine
      });
      line.evmapTimes = kept;
      line.evmapMmsi = f.properties.mmsi;
      line.evmapName = f.properties.name;
      // The map's own mousemove handler (which runs next) shows the one shared tooltip.
      line.on('mousemove', function (ev) { S.hoverTrack = { line: line, latlng: ev.latlng }; });
      S.trackGroup.addLayer(line);
      lines += 1;
      vertices += latlngs.length;
    });
    S.counts.tracks = lines;
    S.counts.trackVertices = vertices;
    buildVessels();
    restyleTracks();
  }

  function arrowCount() {
    var n = 0;
    S.trackGroup.eachLayer(function (line) { n += line._arrows ? line._arrows.length : 0; });
    return n;
  }

  // ---------------------------------------------------------------- footprints and photos

  function loadFootprints() {
    return getJSON('/data/footprints.geojson').then(function (data) {
      S.footprintData = data;
      drawFootprints();
      S.counts.footprints = data.features.length;
      S.loaded.footprints = true;
    });
  }

  function firstLng(coords) { return typeof coords[0] === 'number' ? coords[0] : firstLng(coords[0]); }

  function shiftCoords(coords, dx) {
    if (typeof coords[0] === 'number') return [coords[0] + dx].concat(coords.slice(1));
    return coords.map(function (c) { return shiftCoords(c, dx); });
  }

  /** The footprints, each moved whole to the view's side of the antimeridian. */
  function drawFootprints() {
    S.footprints.clearLayers();
    if (!S.footprintData) return;
    S.footprints.addData(S.footprintData.features.map(function (f) {
      var g = f.geometry;
      if (!g || !g.coordinates || !g.coordinates.length) return f;
      var dx = sideShift(firstLng(g.coordinates));
      if (!dx) return f;
      return L.extend({}, f, { geometry: { type: g.type, coordinates: shiftCoords(g.coordinates, dx) } });
    }));
  }

  function overlayBounds(bounds) {
    var dx = sideShift((bounds[0][1] + bounds[1][1]) / 2);
    return [[bounds[0][0], bounds[0][1] + dx], [bounds[1][0], bounds[1][1] + dx]];
  }

  function ensurePhotoPanel() {
    if (S.photoPanel) return S.photoPanel;
    panel('bottomleft', 'photos', 'Photo opacity', function (body) { S.photoPanel = body; });
    return S.photoPanel;
  }

  function addOverlay(desc) {
    var old = S.overlays.get(desc.id);
    if (old) S.photos.removeLayer(old.layer);
    var layer = L.imageOverlay(desc.url, overlayBounds(desc.bounds), { opacity: desc.opacity, interactive: false });
    S.photos.addLayer(layer);
    var row = old ? old.row : el('label');
    row.textContent = '';
    row.appendChild(el('span', desc.title || desc.id));
    var slider = el('input');
    slider.type = 'range'; slider.min = '0'; slider.max = '100';
    slider.value = String(Math.round(desc.opacity * 100));
    slider.title = 'Opacity of ' + (desc.title || desc.id);  // set as text, never parsed
    slider.addEventListener('input', function () { layer.setOpacity(Number(slider.value) / 100); });
    row.appendChild(slider);
    if (!old) ensurePhotoPanel().appendChild(row);
    S.overlays.set(desc.id, { layer: layer, row: row, slider: slider, bounds: desc.bounds });
    S.counts.overlays = S.overlays.size;
  }

  function loadOverlays() {
    return getJSON('/data/overlays.json').then(function (list) {
      list.forEach(addOverlay);
      S.loaded.overlays = true;
    });
  }

  // ---------------------------------------------------------------- time window

  function computeExtent() {
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < INC.n; i++) {
      if (INC.t0[i] !== null && INC.t0[i] !== undefined) { lo = Math.min(lo, INC.t0[i]); hi = Math.max(hi, INC.t1[i]); }
    }
    S.trackFeatures.forEach(function (f) {
      var t = f.properties.t;
      if (t.length) { lo = Math.min(lo, t[0]); hi = Math.max(hi, t[t.length - 1]); }
    });
    S.extent = isFinite(lo) ? [lo, hi] : null;
    if (S.slider) S.slider.box.classList.toggle('evmap-hidden', !S.extent);
    showWindowLabel();
  }

  /** What the sliders span: the desk's window (the list filter) within the data's extent. */
  function timeRange() {
    var e = S.extent, o = S.outer;
    if (!e || !o) return e || o;
    var lo = Math.max(e[0], o[0]), hi = Math.min(e[1], o[1]);
    return lo <= hi ? [lo, hi] : o;
  }

  function sliderWindow() {
    var r = timeRange();
    if (!r || (S.frac[0] === 0 && S.frac[1] === 1)) return S.outer;
    return [r[0] + (r[1] - r[0]) * S.frac[0], r[0] + (r[1] - r[0]) * S.frac[1]];
  }

  function resetSliders() {
    S.frac = [0, 1];
    if (S.slider) { S.slider.from.value = '0'; S.slider.to.value = '1000'; }
  }

  var SPEEDS = [['1 h/s', 3600], ['6 h/s', 21600], ['1 day/s', 86400], ['1 week/s', 604800]];

  function buildTimeSlider() {
    computeExtent();
    if (S.slider) return;
    panel('bottomright', 'time', 'Time', function (body, row, box) {
      // Playback stays in reach (on the header line) when the sliders are folded away.
      var button = el('button', '\u25b6 Play');
      button.type = 'button';
      button.addEventListener('click', function () { if (S.play.playing) EvidenceMap.pause(); else EvidenceMap.play(); });
      var speed = el('select');
      speed.title = 'Playback speed';
      SPEEDS.forEach(function (sp) {
        var option = el('option', sp[0]);
        option.value = String(sp[1]);
        speed.appendChild(option);
      });
      speed.value = String(S.play.speed);
      speed.addEventListener('change', function () { S.play.speed = Number(speed.value); });
      var cursor = el('span', '', 'evmap-cursor');
      row.appendChild(button); row.appendChild(speed); row.appendChild(cursor);
      var from = el('input'), to = el('input'), label = el('div');
      [from, to].forEach(function (input) { input.type = 'range'; input.min = '0'; input.max = '1000'; body.appendChild(input); });
      from.value = '0'; to.value = '1000';
      from.title = 'From'; to.title = 'To';
      label.title = 'Time window (UTC)';
      body.appendChild(label);
      S.slider = { box: box, from: from, to: to, label: label, button: button, speed: speed, cursor: cursor };
      function onInput() {
        var a = Number(from.value), b = Number(to.value);
        if (a > b) { var swap = a; a = b; b = swap; }
        S.frac = [a / 1000, b / 1000];
        applyWindow(sliderWindow());
      }
      from.addEventListener('input', onInput);
      to.addEventListener('input', onInput);
    });
    computeExtent();
  }

  function showWindowLabel() {
    if (!S.slider) return;
    var w = S.window || timeRange();
    S.slider.label.textContent = w ? fmtTime(w[0]) + ' \u2013 ' + fmtTime(w[1]) : '';
    S.slider.button.textContent = S.play.playing ? 'Pause' : '\u25b6 Play';
    S.slider.cursor.textContent = S.play.t !== null ? fmtTime(Math.round(S.play.t)).slice(0, 16) + 'Z' : '';
  }

  function applyWindow(w) {
    S.window = w;
    for (var i = 0; i < INC.n; i++) INC.shown[i] = inWindow(INC.t0[i], INC.t1[i]);
    if (S.play.t !== null && w && (S.play.t < w[0] || S.play.t > w[1])) S.play.t = Math.max(w[0], Math.min(w[1], S.play.t));
    incidentsChanged();
    drawTracks();
    showWindowLabel();
  }

  // ---------------------------------------------------------------- vessels and playback

  /* Each vessel is drawn as a marker pointing along its course, at the playback time (or, when
   * nothing plays, at its last position in the time window), with its name or MMSI from
   * LABEL_MIN_ZOOM (always for highlighted vessels). While playing, the last TRAIL seconds of
   * each track are drawn bright and the older track is faded. Markers, trails and labels are
   * one canvas, redrawn per playback frame and after each move. */
  var LABEL_MIN_ZOOM = 7;
  var MAX_LABELS = 300;
  var TRAIL_FRACTION = 0.15;  // of the time range: the bright part of the trail

  function buildVessels() {
    var byMmsi = new Map();
    S.trackFeatures.forEach(function (f) {
      var c = f.geometry.coordinates, t = f.properties.t;
      if (!c.length) return;
      var shift = sideShift(c[c.length >> 1][0]);
      var v = byMmsi.get(f.properties.mmsi);
      if (!v) { v = { mmsi: f.properties.mmsi, name: f.properties.name || '', parts: [] }; byMmsi.set(v.mmsi, v); }
      var lat = new Float64Array(c.length), lng = new Float64Array(c.length);
      for (var i = 0; i < c.length; i++) { lat[i] = c[i][1]; lng[i] = c[i][0] + shift; }
      v.parts.push({ lat: lat, lng: lng, t: t });
    });
    byMmsi.forEach(function (v) { v.parts.sort(function (a, b) { return a.t[0] - b.t[0]; }); });
    S.vessels = byMmsi;
  }

  /** Index of the last vertex at or before time t in a part (-1 when t is before it). */
  function lastAtOrBefore(times, t) {
    var lo = 0, hi = times.length - 1;
    if (t < times[0]) return -1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (times[mid] <= t) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** Where a vessel is at time t: {lat, lng, part, i, f} or null before its first fix or when
   * its last fix is older than ``since``. */
  function vesselAt(v, t, since) {
    for (var p = v.parts.length - 1; p >= 0; p--) {
      var part = v.parts[p], i = lastAtOrBefore(part.t, t);
      if (i < 0) continue;
      if (i === part.t.length - 1) {
        if (since !== null && part.t[i] < since) return null;
        return { lat: part.lat[i], lng: part.lng[i], part: part, i: i, f: 0 };
      }
      var span = part.t[i + 1] - part.t[i], f = span > 0 ? (t - part.t[i]) / span : 0;
      return { lat: part.lat[i] + (part.lat[i + 1] - part.lat[i]) * f, lng: part.lng[i] + (part.lng[i + 1] - part.lng[i]) * f,
        part: part, i: i, f: f };
    }
    return null;
  }

  function cursorTime() {
    if (S.play.t !== null) return S.play.t;
    var r = S.window || timeRange();
    return r ? r[1] : Infinity;
  }

  var VesselLayer = L.Layer.extend({
    onAdd: function (map) {
      this._canvas = L.DomUtil.create('canvas', 'evmap-vessels leaflet-zoom-hide');
      map.getPane('evmapVessels').appendChild(this._canvas);
      map.on('moveend zoomend resize viewreset', this._moved, this);
      this.redraw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off('moveend zoomend resize viewreset', this._moved, this);
    },
    /** After a move: nothing to do while the view is still inside the padded area last drawn
     * (the canvas moves with the map), as the track renderer does. */
    _moved: function (ev) {
      var map = this._map;
      if (ev && ev.type === 'moveend' && this._painted && this._zoom === map.getZoom() &&
          this._origin && this._origin.equals(map.getPixelOrigin())) {
        var view = L.bounds(map.containerPointToLayerPoint([0, 0]), map.containerPointToLayerPoint(map.getSize()));
        if (this._painted.contains(view)) return;
      }
      this.redraw();
    },
    redraw: function () {
      var map = this._map;
      if (!map) return;
      var size = map.getSize(), pad = 0.3;
      var topLeft = map.containerPointToLayerPoint([-size.x * pad, -size.y * pad]).round();
      var w = Math.round(size.x * (1 + 2 * pad)), h = Math.round(size.y * (1 + 2 * pad));
      var canvas = this._canvas;
      if (canvas.width !== w) canvas.width = w;
      if (canvas.height !== h) canvas.height = h; else canvas.getContext('2d').clearRect(0, 0, w, h);
      L.DomUtil.setPosition(canvas, topLeft);
      this._painted = L.bounds(topLeft, topLeft.add([w, h]));
      this._zoom = map.getZoom();
      this._origin = map.getPixelOrigin();
      drawVessels(canvas.getContext('2d'), topLeft, w, h);
    }
  });

  function drawVessels(ctx, origin, w, h) {
    var map = S.map, t = cursorTime(), range = S.window || timeRange();
    var since = S.play.t !== null ? null : (range ? range[0] : null);
    var trail = range ? (range[1] - range[0]) * TRAIL_FRACTION : 0;
    var zoom = map.getZoom(), labels = zoom >= LABEL_MIN_ZOOM, taken = [], drawn = [];
    var highlighted = highlightedMmsis();
    function px(lat, lng) { var p = map.latLngToLayerPoint([lat, lng]); return [p.x - origin.x, p.y - origin.y]; }
    S.vessels.forEach(function (v) {
      var at = vesselAt(v, t, since);
      if (!at) return;
      var here = px(at.lat, at.lng);
      if (here[0] < -20 || here[1] < -20 || here[0] > w + 20 || here[1] > h + 20) return;
      var hot = highlighted.has(v.mmsi), colour = trackColour(v.mmsi);
      // Course: from the segment the vessel is on (or the last one it sailed).
      var part = at.part, i = at.i, j = Math.min(i + 1, part.t.length - 1);
      if (j === i && i > 0) i -= 1;
      var a = px(part.lat[i], part.lng[i]), b = px(part.lat[j], part.lng[j]);
      var heading = (a[0] === b[0] && a[1] === b[1]) ? 0 : Math.atan2(b[0] - a[0], a[1] - b[1]);
      if (S.play.t !== null && trail > 0) drawTrail(ctx, at, t - trail, t, px, v.mmsi, hot);
      drawMarker(ctx, here[0], here[1], heading, colour, hot);
      var label = v.name || ('MMSI ' + v.mmsi);
      var labelled = (labels || hot) && drawLabel(ctx, label, here[0] + 9, here[1] - 9, taken, hot);
      drawn.push({ mmsi: v.mmsi, lat: at.lat, lng: at.lng, heading: Math.round((heading * 180 / Math.PI + 360) % 360),
        label: labelled ? label : null, highlighted: hot });
    });
    S.drawnVessels = drawn;
  }

  /** The track behind a vessel back to time ``from``, bright at the vessel and fading with age. */
  function drawTrail(ctx, at, from, t, px, mmsi, hot) {
    var part = at.part, span = t - from, pts = [[at.lat, at.lng, t]];
    var i = at.i;
    for (; i >= 0 && part.t[i] >= from; i--) pts.push([part.lat[i], part.lng[i], part.t[i]]);
    if (i >= 0) {  // cut the older segment where the trail begins
      var newer = pts[pts.length - 1], f = (from - part.t[i]) / ((newer[2] - part.t[i]) || 1);
      pts.push([part.lat[i] + (newer[0] - part.lat[i]) * f, part.lng[i] + (newer[1] - part.lng[i]) * f, from]);
    }
    if (pts.length < 2) return;
    var hue = trackHue(mmsi);
    ctx.lineCap = 'round';
    ctx.lineWidth = hot ? 5 : 3.5;
    for (var k = 1; k < pts.length; k++) {
      var a = px(pts[k - 1][0], pts[k - 1][1]), b = px(pts[k][0], pts[k][1]);
      var gradient = ctx.createLinearGradient(a[0], a[1], b[0], b[1]);
      gradient.addColorStop(0, 'hsla(' + hue + ', 85%, 38%, ' + (1 - 0.85 * (t - pts[k - 1][2]) / span).toFixed(3) + ')');
      gradient.addColorStop(1, 'hsla(' + hue + ', 85%, 38%, ' + (1 - 0.85 * (t - pts[k][2]) / span).toFixed(3) + ')');
      ctx.strokeStyle = gradient;
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.stroke();
    }
  }

  function drawMarker(ctx, x, y, heading, colour, hot) {
    ctx.save();
    ctx.translate(x, y);
    if (hot) {
      ctx.beginPath();
      ctx.arc(0, 0, 13, 0, 2 * Math.PI);
      ctx.fillStyle = 'rgba(0, 229, 255, 0.35)';
      ctx.fill();
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = '#00e5ff';
      ctx.stroke();
    }
    ctx.rotate(heading);
    var k = hot ? 1.3 : 1;
    ctx.beginPath();
    ctx.moveTo(0, -9 * k);
    ctx.lineTo(5.5 * k, 6 * k);
    ctx.lineTo(0, 3 * k);
    ctx.lineTo(-5.5 * k, 6 * k);
    ctx.closePath();
    ctx.fillStyle = colour;
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
    ctx.restore();
  }

  /** A label unless it would overlap one already drawn; whether it was drawn. */
  function drawLabel(ctx, text, x, y, taken, hot) {
    ctx.font = (hot ? 'bold ' : '') + '11px sans-serif';
    var wdt = ctx.measureText(text).width, box = [x - 2, y - 10, x + wdt + 2, y + 3];
    if (!hot) {
      if (taken.length >= MAX_LABELS) return false;
      for (var i = 0; i < taken.length; i++) {
        var o = taken[i];
        if (box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]) return false;
      }
    }
    taken.push(box);
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
    ctx.strokeText(text, x, y);
    ctx.fillStyle = hot ? '#003a40' : '#1b1b1b';
    ctx.fillText(text, x, y);
    return true;
  }

  function redrawVessels() { if (S.vesselLayer) S.vesselLayer.redraw(); }

  function highlightedMmsis() {
    var out = new Set(S.participants);
    if (S.focusTrack !== null) out.add(S.focusTrack);
    return out;
  }

  /** Highlighted tracks (the selected incident's participants, the vessel asked for) stand out. */
  function restyleTracks() {
    var hot = highlightedMmsis(), any = hot.size > 0, playing = S.play.t !== null;
    S.trackGroup.eachLayer(function (line) {
      var on = hot.has(line.evmapMmsi);
      // While playing, whole tracks are a faint route; the recent trail is drawn bright over them.
      line.setStyle({ weight: on ? 4.5 : 2, opacity: playing ? (on ? 0.3 : 0.15) : (on ? 1 : (any ? 0.45 : 0.85)) });
      if (on) line.bringToFront();
    });
    redrawVessels();
  }

  function tick(ts) {
    var play = S.play;
    if (!play.playing) return;
    var r = S.window || timeRange();
    if (!r) { EvidenceMap.pause(); return; }
    if (play.last !== null) play.t += (ts - play.last) / 1000 * play.speed;
    play.last = ts;
    if (play.t >= r[1]) { play.t = r[1]; EvidenceMap.pause(); }
    redrawVessels();
    showWindowLabel();
    if (play.playing) requestAnimationFrame(tick);
  }

  // ---------------------------------------------------------------- place, drag, measure

  function setModeLine(text) {
    S.modeLine.textContent = text || '';
    S.modeLine.parentNode.classList.toggle('evmap-hidden', !text);
  }

  function onMapClick(ev) {
    if (!S.place && !S.measure) {
      var hit = incidentAt(ev.latlng);
      if (hit && hit.n === 1) {
        EvidenceMap.selectIncident(INC.id[hit.i], false);
        callBridge('notifyIncidentClicked', INC.id[hit.i]);
      } else if (hit) {
        zoomToCluster(hit);
      }
      return;
    }
    if (S.place) {
      var target = S.place;
      EvidenceMap.setPlaceMode(null, null);
      callBridge('notifyPositionPicked', target.kind, target.id, ev.latlng.lat, wrapLng(ev.latlng.lng));
      return;
    }
    if (S.measure) {
      S.measure.push(ev.latlng);
      drawMeasure();
    }
  }

  function zoomToCluster(s) {
    var sw = S.map.unproject([s.x0 + s.shift, s.y1], 0), ne = S.map.unproject([s.x1 + s.shift, s.y0], 0);
    var bounds = L.latLngBounds(sw, ne);
    var zoom = Math.min(S.map.getBoundsZoom(bounds.pad(0.1)), CLUSTER_MAX_ZOOM);
    S.map.setView(bounds.getCenter(), Math.max(zoom, Math.round(S.map.getZoom()) + 1));
  }

  function measuredMetres(points) {
    var total = 0;
    for (var i = 1; i < points.length; i++) total += haversine(points[i - 1], points[i]);
    return total;
  }

  function drawMeasure() {
    S.measureLayer.clearLayers();
    if (!S.measure) { S.measureReadout.textContent = ''; return; }
    S.measure.forEach(function (p) {
      S.measureLayer.addLayer(L.circleMarker(p, { renderer: S.renderer, radius: 3, color: '#000', interactive: false }));
    });
    if (S.measure.length > 1) {
      S.measureLayer.addLayer(L.polyline(S.measure, { renderer: S.renderer, color: '#000', weight: 2, dashArray: '6 4', interactive: false }));
    }
    var metres = measuredMetres(S.measure);
    S.measureReadout.textContent = Math.round(metres).toLocaleString('en') + ' m \u00b7 ' +
      (metres / METRES_PER_NM).toFixed(2) + ' NM';
  }

  function buildToolPanel() {
    panel('topright', 'legend', 'Legend', function (legend, tools, box) {
      // Measuring and the place-mode line stay visible when the legend is folded away.
      var measureButton = el('button', 'Measure');
      measureButton.type = 'button';
      measureButton.addEventListener('click', function () { EvidenceMap.setMeasureMode(!S.measure); });
      tools.appendChild(measureButton);
      S.measureReadout = el('span');
      tools.appendChild(S.measureReadout);
      var mode = el('div', null, 'evmap-hidden');
      S.modeLine = el('span');
      mode.appendChild(S.modeLine);
      box.insertBefore(mode, legend);
      STATUS_LABELS.forEach(function (s) {
        var row = el('div');
        var swatch = el('span', null, 'evmap-legend-swatch');
        swatch.style.background = s[2];
        row.appendChild(swatch);
        row.appendChild(el('span', s[1]));
        legend.appendChild(row);
      });
    });
  }

  /** The view moved to another side of the antimeridian: draw the case's layers there. */
  function sideChanged() {
    S.incidentTiles.redraw();
    drawTracks();
    drawFootprints();
    S.overlays.forEach(function (o) { o.layer.setBounds(L.latLngBounds(overlayBounds(o.bounds))); });
    var i = S.selected !== null ? INC.byId.get(S.selected) : undefined;
    if (S.highlight && i !== undefined) S.highlight.setLatLng([INC.lat[i], sideLng(INC.lng[i])]);
  }

  function clearHighlight() {
    if (S.highlight) { S.map.removeLayer(S.highlight); S.highlight = null; }
    S.selected = null;
    if (S.participants.size) { S.participants = new Set(); restyleTracks(); }
  }

  // ---------------------------------------------------------------- ready

  function whenDrawn(callback) {
    // Canvas layers paint on the next animation frame; two frames means painted.
    requestAnimationFrame(function () { requestAnimationFrame(callback); });
  }

  function reportReady() {
    whenDrawn(function () {
      S.ready = true;
      S.readyMs = performance.now();
      callBridge('notifyLayersReady', EvidenceMap.state());
    });
  }

  // ---------------------------------------------------------------- public API

  var EvidenceMap = {
    init: function (map, options) {
      S.map = map;
      S.options = options || {};
      mark('init');
      // folium puts zoom limits on tile layers only; the grid layers need them on the map.
      map.setMaxZoom(S.options.maxZoom || 18);
      map.setMinZoom(S.options.minZoom || 2);
      // Panes, bottom to top: land and graticule 250, vectors (overlayPane) 400,
      // incidents with their uncertainty circles 450, the selected marker (markerPane) 600.
      S.collapsed = L.extend({}, S.options.collapsed || {});
      // Vessels (markers, trails, names) sit between the tracks and the incidents.
      [['evmapLand', 250], ['evmapVessels', 440], ['evmapIncidents', 450]].forEach(function (p) {
        map.createPane(p[0]).style.zIndex = p[1];
      });
      S.renderer = new LazyCanvas({ padding: 0.5 });
      var tiles = { tileSize: TILE, keepBuffer: 1 };
      S.land = new DrawnTiles(drawLandTile, L.extend({ pane: 'evmapLand' }, tiles));
      S.graticule = L.layerGroup().addTo(map);  // its lines are drawn in the land tiles, its labels here
      S.naturalEarth = L.layerGroup([S.land]).addTo(map);
      S.circles = L.layerGroup().addTo(map);  // a switch: the circles are drawn in the incident tiles
      S.incidentTiles = new DrawnTiles(drawIncidentTile, L.extend({ pane: 'evmapIncidents', ownCopy: true }, tiles)).addTo(map);
      S.tip = L.tooltip({ direction: 'top', offset: [0, -8], opacity: 0.95 });
      S.trackGroup = L.layerGroup().addTo(map);
      S.footprints = L.geoJSON(null, {
        renderer: S.renderer,
        style: { color: '#e8590c', weight: 1.5, dashArray: '5 3', fillOpacity: 0.06 },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(function () {
            var box = el('div');
            box.appendChild(el('div', f.properties.title || '(evidence)', 'evmap-tip-title'));
            if (f.properties.t) box.appendChild(el('div', fmtTime(f.properties.t)));
            return box;
          });
        }
      }).addTo(map);
      S.photos = L.layerGroup().addTo(map);
      S.vesselLayer = new VesselLayer().addTo(map);
      S.measureLayer = L.layerGroup().addTo(map);

      var bases = { 'Natural Earth (offline)': S.naturalEarth };
      (S.options.basemaps || []).forEach(function (b) {
        var layerOptions = { minZoom: 0, maxNativeZoom: b.maxZoom, maxZoom: 19, attribution: escapeHtml(b.attribution || '') };
        if (b.bounds) layerOptions.bounds = [[b.bounds[1], b.bounds[0]], [b.bounds[3], b.bounds[2]]];
        bases[escapeHtml(b.name)] = L.tileLayer(b.url, layerOptions);
      });
      L.control.layers(bases, {
        'Incidents': S.incidentTiles, 'Position uncertainty': S.circles, 'AIS tracks': S.trackGroup, 'Vessels': S.vesselLayer,
        'Photo footprints': S.footprints, 'Photos': S.photos, 'Graticule': S.graticule
      }, { collapsed: true }).addTo(map);
      buildToolPanel();

      map.on('click', onMapClick);
      map.on('mousemove', onMapHover);
      map.on('mouseout movestart zoomstart', function () { S.hoverTrack = null; hideTip(); });
      S.gratBox = el('div', null, 'evmap-grat-labels');
      map.getContainer().appendChild(S.gratBox);
      map.on('move moveend zoomend resize', drawGraticuleLabels);
      map.on('overlayadd overlayremove', function (ev) {
        if (ev.layer === S.graticule) { drawGraticuleLabels(); S.land.redraw(); }
        if (ev.layer === S.circles) S.incidentTiles.redraw();
      });
      updateSide();
      map.on('moveend', function () { if (updateSide()) sideChanged(); });
      map.on('zoomend', function () { if (S.loaded.tracks) loadTracks().catch(fail); });
      map.on('moveend', function () { if (S.loaded.tracks && trackZoom() >= BBOX_TRACKS_MIN_ZOOM) loadTracks().catch(fail); });

      connectBridge();
      drawGraticuleLabels();
      Promise.all([loadLand(), loadIncidents(), loadTracks(), loadFootprints(), loadOverlays()])
        .then(function () { mark('layersLoaded'); buildTimeSlider(); reportReady(); })
        .catch(fail);
    },

    /** Counts and flags as a JSON string (runJavaScript returns objects as empty strings). */
    state: function () {
      S.counts.arrows = arrowCount();
      S.counts.circles = (S.map && S.map.getZoom() >= CIRCLES_MIN_ZOOM && S.map.hasLayer(S.circles)) ? layoutFor(Math.round(S.map.getZoom())).circles : 0;
      return JSON.stringify({
        ready: S.ready, readyMs: S.readyMs, loaded: S.loaded, counts: S.counts, errors: S.errors,
        marks: S.marks, perf: S.perf,
        selected: S.selected, place: S.place, window: S.window, zoom: S.map ? S.map.getZoom() : null,
        extent: S.extent, playing: S.play.playing, playTime: S.play.t, collapsed: S.collapsed,
        focusTrack: S.focusTrack, highlighted: Array.from(highlightedMmsis()),
        measureMetres: S.measure ? measuredMetres(S.measure) : null
      });
    },

    selectIncident: function (id, centre) {
      clearHighlight();
      S.wanted = id;  // kept even when not loaded yet: loadIncidents applies it on arrival
      var i = INC.byId.get(id);
      if (i === undefined) return false;
      S.selected = id;
      S.participants = new Set(INC.mmsis[i] || []);
      restyleTracks();
      var at = L.latLng(INC.lat[i], sideLng(INC.lng[i]));
      S.highlight = L.marker(at, {
        icon: L.divIcon({ className: 'evmap-selected', iconSize: [26, 26] }),
        draggable: true, keyboard: false, zIndexOffset: 1000, autoPan: false
      }).addTo(S.map);
      S.highlight.on('dragend', function () {
        var p = S.highlight.getLatLng();
        callBridge('notifyMarkerMoved', id, p.lat, wrapLng(p.lng));
      });
      S.highlight.on('click', function (ev) { L.DomEvent.stopPropagation(ev); callBridge('notifyIncidentClicked', id); });
      if (centre !== false) S.map.setView(at, Math.max(S.map.getZoom(), 8));
      return true;
    },

    /** The store's word on one incident (after a placement, a drag, an undo). */
    updateIncident: function (feature) {
      var p = feature.properties, c = feature.geometry.coordinates;
      var i = INC.byId.get(p.id);
      if (i === undefined) { i = INC.n; INC.n += 1; }
      setIncident(i, p.id, p.title, p.status, p.colour, c[1], c[0], p.radius_m, p.t0, p.t1, p.mmsis);
      incidentsChanged();
      if (S.selected === p.id && S.highlight) S.highlight.setLatLng([c[1], sideLng(c[0])]);
      return true;
    },

    /** The desk's window (the list's time filter): the sliders go back to spanning all of it. */
    setTimeWindow: function (start, end) {
      S.outer = start === null || end === null ? null : [start, end];
      resetSliders();
      applyWindow(S.outer);
      return true;
    },

    setPlaceMode: function (kind, id) {
      S.place = kind ? { kind: kind, id: id } : null;
      if (S.place) S.measure = null;
      S.map.getContainer().classList.toggle('evmap-placing', !!S.place);
      setModeLine(S.place ? 'Click the map to place the selected ' + kind : '');
      return true;
    },

    setMeasureMode: function (on) {
      S.measure = on ? [] : null;
      S.map.getContainer().classList.toggle('evmap-measuring', !!on);
      setModeLine(on ? 'Click points to measure; press Measure again to stop' : '');
      drawMeasure();
      return true;
    },

    addOverlay: function (desc) { addOverlay(desc); return true; },

    removeOverlay: function (id) {
      var o = S.overlays.get(id);
      if (!o) return false;
      S.photos.removeLayer(o.layer);
      o.row.remove();
      S.overlays.delete(id);
      S.counts.overlays = S.overlays.size;
      return true;
    },

    reload: function (what) {
      if (what === 'tracks') { S.trackCache.clear(); return loadTracks().catch(fail); }
      if (what === 'footprints') return loadFootprints().catch(fail);
      return loadIncidents().catch(fail);
    },

    /** The desk's case changed: the sliders span the new data, playback stops, nothing is folded open. */
    resetTime: function () {
      EvidenceMap.pause();
      S.play.t = null;
      resetSliders();
      computeExtent();
      applyWindow(S.outer);
      restyleTracks();
      return true;
    },

    play: function (speed) {
      if (speed) {
        S.play.speed = speed;
        if (S.slider) {
          if (!SPEEDS.some(function (sp) { return sp[1] === speed; })) {
            var option = el('option', (speed / 3600).toFixed(speed % 3600 ? 2 : 0) + ' h/s');
            option.value = String(speed);
            S.slider.speed.appendChild(option);
          }
          S.slider.speed.value = String(speed);
        }
      }
      var r = S.window || timeRange();
      if (!r) return false;
      if (S.play.t === null || S.play.t >= r[1]) S.play.t = r[0];
      S.play.playing = true;
      S.play.last = null;
      restyleTracks();
      showWindowLabel();
      requestAnimationFrame(tick);
      return true;
    },

    pause: function () {
      S.play.playing = false;
      S.play.last = null;
      showWindowLabel();
      return true;
    },

    /** Playback time (epoch seconds), or null to show every vessel at its last position again. */
    setPlayTime: function (t) {
      S.play.t = t;
      if (t === null) S.play.playing = false;
      restyleTracks();
      showWindowLabel();
      return true;
    },

    /** Centre on one vessel's track and make it stand out (the vessel page's "Show track on map"). */
    showTrack: function (mmsi, bounds) {
      S.focusTrack = mmsi;
      if (bounds) {
        var dx = sideShift((bounds[1] + bounds[3]) / 2);
        S.map.fitBounds([[bounds[0], bounds[1] + dx], [bounds[2], bounds[3] + dx]], { padding: [40, 40], maxZoom: 11, animate: false });
      }
      restyleTracks();
      return true;
    },

    setCollapsed: function (folded) {
      Object.keys(folded || {}).forEach(function (name) { setCollapsed(name, folded[name], false); });
      return true;
    },

    /** Line width of each drawn track by MMSI, as a JSON string (for tests). */
    trackWeights: function () {
      var out = {};
      S.trackGroup.eachLayer(function (line) { out[line.evmapMmsi] = Math.max(out[line.evmapMmsi] || 0, line.options.weight); });
      return JSON.stringify(out);
    },

    /** The vessel markers drawn now, as a JSON string (for tests). */
    vessels: function () { return JSON.stringify(S.drawnVessels); },

    /** What is drawn now, counted from the drawn tiles (not from the data), as a JSON string. */
    stats: function () {
      var symbols = 0, clusters = 0, represented = 0, landDrawn = new Set();
      S.incidentTiles.liveTiles().forEach(function (t) {
        (t.el.evmapSymbols || []).forEach(function (s) { symbols += 1; represented += s.n; if (s.n > 1) clusters += 1; });
      });
      S.land.liveTiles().forEach(function (t) { (t.el.evmapLand || []).forEach(function (p) { landDrawn.add(p); }); });
      var lines = 0;
      S.trackGroup.eachLayer(function (line) { if (line._parts && line._parts.length) lines += 1; });
      return JSON.stringify({
        incidentSymbols: symbols, incidentClusters: clusters, incidentsDrawn: represented,
        trackLines: lines, trackArrows: arrowCount(), landPolygonsDrawn: landDrawn.size,
        incidentTiles: S.incidentTiles.liveTiles().length, landTiles: S.land.liveTiles().length
      });
    },

    /** The incident layer's colour at a map position, as "r,g,b,a" (for tests). */
    incidentPixel: function (lat, lng) {
      var zoom = Math.round(S.map.getZoom()), p = S.map.project([lat, lng], zoom);
      var tx = Math.floor(p.x / TILE), ty = Math.floor(p.y / TILE), found = null;
      S.incidentTiles.liveTiles().forEach(function (t) { if (t.coords.x === tx && t.coords.y === ty) found = t.el; });
      if (!found) return null;
      var d = found.getContext('2d').getImageData(Math.floor(p.x - tx * TILE), Math.floor(p.y - ty * TILE), 1, 1).data;
      return [d[0], d[1], d[2], d[3]].join(',');
    },

    measuredMetres: function (points) {
      return measuredMetres(points.map(function (p) { return L.latLng(p[0], p[1]); }));
    }
  };

  function fail(error) {
    S.errors.push(String(error && error.message ? error.message : error));
    if (window.console) console.error('evmap:', error);
  }

  window.EvidenceMap = EvidenceMap;
})();
