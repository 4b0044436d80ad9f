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
    incidents: new Map(), cluster: null, circles: null,
    trackGroup: null, trackFeatures: [], trackCache: new Map(), trackSeq: 0,
    footprints: null, photos: null, overlays: new Map(), photoPanel: null,
    naturalEarth: null, land: null, graticule: null,
    window: null, extent: null, slider: null,
    place: null, selected: null, highlight: null,
    measure: null, measureLayer: null, measureReadout: null, modeLine: null,
    loaded: { land: false, incidents: false, tracks: false, footprints: false, overlays: false },
    ready: false, readyMs: null, errors: [],
    counts: { land: 0, landPolygons: 0, incidents: 0, incidentsShown: 0, circles: 0,
      tracks: 0, trackVertices: 0, arrows: 0, footprints: 0, overlays: 0 }
  };

  // ---------------------------------------------------------------- helpers

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

  function trackColour(mmsi) {
    var hue = (Number(mmsi) * 2654435761 % 360 + 360) % 360;
    return 'hsl(' + hue + ', 85%, 32%)';
  }

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

  function panel(position, build) {
    var Control = L.Control.extend({
      options: { position: position },
      onAdd: function () {
        var box = el('div', null, 'evmap-panel leaflet-control');
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        build(box);
        return box;
      }
    });
    return new Control().addTo(S.map);
  }

  // ---------------------------------------------------------------- basemap

  function loadLand() {
    return getJSON('/basemap/land.geojson').then(function (data) {
      S.land = L.geoJSON(data, {
        renderer: S.landRenderer, interactive: false,
        style: { color: '#55624f', weight: 0.8, fillColor: '#efe8d4', fillOpacity: 1 }
      });
      S.naturalEarth.addLayer(S.land);
      S.counts.land = S.land.getLayers().length;
      S.counts.landPolygons = data.features.reduce(function (n, f) {
        return n + (f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates.length : 1);
      }, 0);
      S.loaded.land = true;
    });
  }

  var GRATICULE_STEPS = [30, 30, 20, 10, 5, 5, 2, 1, 1, 0.5, 0.25, 0.1, 0.05, 0.05, 0.02];

  function fmtDegrees(value, pos, neg) {
    var v = Number(Math.abs(value).toFixed(2));
    return v + '\u00b0' + (value > 0 ? pos : value < 0 ? neg : '');
  }

  function gratLabel(latlng, text, anchor) {
    return L.marker(latlng, {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: 'evmap-grat-label', html: el('span', text), iconSize: null, iconAnchor: anchor })
    });
  }

  function drawGraticule() {
    S.graticule.clearLayers();
    if (!S.map.hasLayer(S.graticule)) return;
    var zoom = Math.max(0, Math.min(GRATICULE_STEPS.length - 1, Math.round(S.map.getZoom())));
    var step = GRATICULE_STEPS[zoom];
    var b = S.map.getBounds();
    var south = Math.max(-85, b.getSouth()), north = Math.min(85, b.getNorth());
    var west = Math.max(-180, b.getWest()), east = Math.min(180, b.getEast());
    var style = { renderer: S.renderer, interactive: false, color: '#3d5a78', weight: 0.6, opacity: 0.55 };
    var lon, lat;
    for (lon = Math.ceil(west / step) * step; lon <= east + 1e-9; lon += step) {
      S.graticule.addLayer(L.polyline([[south, lon], [north, lon]], style));
      S.graticule.addLayer(gratLabel([north, lon], fmtDegrees(lon, 'E', 'W'), [-3, -3]));
    }
    for (lat = Math.ceil(south / step) * step; lat <= north + 1e-9; lat += step) {
      S.graticule.addLayer(L.polyline([[lat, west], [lat, east]], style));
      S.graticule.addLayer(gratLabel([lat, west], fmtDegrees(lat, 'N', 'S'), [-3, 14]));
    }
  }

  // ---------------------------------------------------------------- incidents

  function incidentTip(feature) {
    var p = feature.properties;
    var box = el('div');
    box.appendChild(el('div', p.title || '(untitled incident)', 'evmap-tip-title'));
    box.appendChild(el('div', String(p.status).replace('_', ' ') + (p.t0 ? ' \u00b7 ' + fmtTime(p.t0) : '')));
    if (p.radius_m) box.appendChild(el('div', '\u00b1 ' + Math.round(p.radius_m) + ' m'));
    return box;
  }

  function makeIncident(feature) {
    var c = feature.geometry.coordinates;
    var marker = L.circleMarker([c[1], c[0]], {
      renderer: S.renderer, radius: 6, weight: 1.5, color: '#1b1b1b',
      fillColor: feature.properties.colour, fillOpacity: 0.95
    });
    marker.evmapId = feature.properties.id;
    marker.bindTooltip(function (layer) {
      var rec = S.incidents.get(layer.evmapId);
      return incidentTip(rec ? rec.feature : feature);
    }, { direction: 'top', offset: [0, -6] });
    marker.on('click', function (ev) {
      L.DomEvent.stopPropagation(ev);
      if (S.place || S.measure) { onMapClick(ev); return; }
      EvidenceMap.selectIncident(marker.evmapId, false);
      callBridge('notifyIncidentClicked', marker.evmapId);
    });
    return { feature: feature, marker: marker, circle: null };
  }

  function visibleIncidentMarkers() {
    var shown = [];
    S.incidents.forEach(function (rec) {
      if (inWindow(rec.feature.properties.t0, rec.feature.properties.t1)) shown.push(rec.marker);
    });
    return shown;
  }

  function refreshIncidents() {
    var shown = visibleIncidentMarkers();
    S.cluster.clearLayers();
    S.cluster.addLayers(shown);
    S.counts.incidents = S.incidents.size;
    S.counts.incidentsShown = shown.length;
    refreshCircles();
  }

  function refreshCircles() {
    S.circles.clearLayers();
    S.counts.circles = 0;
    if (S.map.getZoom() < CIRCLES_MIN_ZOOM) return;
    S.incidents.forEach(function (rec) {
      var p = rec.feature.properties;
      if (!p.radius_m || !inWindow(p.t0, p.t1)) return;
      rec.circle = L.circle(rec.marker.getLatLng(), {
        renderer: S.renderer, interactive: false, radius: p.radius_m,
        color: p.colour, weight: 1, opacity: 0.8, fillOpacity: 0.08
      });
      S.circles.addLayer(rec.circle);
      S.counts.circles += 1;
    });
  }

  function loadIncidents() {
    return getJSON('/data/incidents.geojson').then(function (data) {
      S.incidents.clear();
      data.features.forEach(function (f) { S.incidents.set(f.properties.id, makeIncident(f)); });
      refreshIncidents();
      S.loaded.incidents = true;
    });
  }

  // ---------------------------------------------------------------- tracks

  function trackZoom() { return Math.max(0, Math.min(MAX_TRACK_ZOOM, Math.round(S.map.getZoom()))); }

  function loadTracks() {
    var zoom = trackZoom();
    var query = '?z=' + zoom;
    var key = null;
    if (zoom >= BBOX_TRACKS_MIN_ZOOM) {
      var b = S.map.getBounds().pad(0.5);
      query += '&west=' + b.getWest() + '&south=' + b.getSouth() + '&east=' + b.getEast() + '&north=' + b.getNorth();
    } else {
      key = zoom;
    }
    var seq = ++S.trackSeq;
    var cached = key !== null ? S.trackCache.get(key) : null;
    var pending = cached ? Promise.resolve(cached) : getJSON('/data/tracks.geojson' + query);
    return pending.then(function (data) {
      if (key !== null) S.trackCache.set(key, data);
      if (seq !== S.trackSeq) return;  // a newer zoom's request superseded this one
      S.trackFeatures = data.features;
      drawTracks();
      S.loaded.tracks = true;
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

  function addArrows(line, colour, budget) {
    var pts = line.getLatLngs().map(function (p) { return S.map.latLngToLayerPoint(p); });
    var spacing = 90, carried = spacing / 2, made = 0;
    for (var i = 1; i < pts.length && made < budget; i++) {
      var a = pts[i - 1], b = pts[i];
      var seg = a.distanceTo(b);
      if (seg === 0) continue;
      var ux = (b.x - a.x) / seg, uy = (b.y - a.y) / seg;
      var along = spacing - carried;
      while (along <= seg && made < budget) {
        var cx = a.x + ux * along, cy = a.y + uy * along;
        var tri = [
          L.point(cx + ux * 5, cy + uy * 5),
          L.point(cx - ux * 4 - uy * 4, cy - uy * 4 + ux * 4),
          L.point(cx - ux * 4 + uy * 4, cy - uy * 4 - ux * 4)
        ].map(function (p) { return S.map.layerPointToLatLng(p); });
        S.trackGroup.addLayer(L.polygon(tri, {
          renderer: S.renderer, interactive: false, stroke: false, fillColor: colour, fillOpacity: 0.95
        }));
        made += 1;
        along += spacing;
      }
      carried = seg - (along - spacing);
    }
    return made;
  }

  function drawTracks() {
    S.trackGroup.clearLayers();
    var lines = 0, vertices = 0, arrows = 0;
    S.trackFeatures.forEach(function (f) {
      var coords = f.geometry.coordinates, times = f.properties.t;
      var latlngs = [], kept = [];
      for (var i = 0; i < coords.length; i++) {
        if (!S.window || (times[i] >= S.window[0] && times[i] <= S.window[1])) {
          latlngs.push([coords[i][1], coords[i][0]]);
          kept.push(times[i]);
        }
      }
      if (latlngs.length < 2) return;
      var colour = trackColour(f.properties.mmsi);
      var line = L.polyline(latlngs, { renderer: S.renderer, color: colour, weight: 2, opacity: 0.85 });
      line.evmapTimes = kept;
      line.evmapMmsi = f.properties.mmsi;
      line.evmapName = f.properties.name;
      line.bindTooltip(el('div'), { sticky: true });
      line.on('mousemove', function (ev) { line.setTooltipContent(trackTip(line, ev.latlng)); });
      S.trackGroup.addLayer(line);
      lines += 1;
      vertices += latlngs.length;
      arrows += addArrows(line, colour, Math.max(0, MAX_ARROWS - arrows));
    });
    S.counts.tracks = lines;
    S.counts.trackVertices = vertices;
    S.counts.arrows = arrows;
  }

  // ---------------------------------------------------------------- footprints and photos

  function loadFootprints() {
    return getJSON('/data/footprints.geojson').then(function (data) {
      S.footprints.clearLayers();
      S.footprints.addData(data);
      S.counts.footprints = data.features.length;
      S.loaded.footprints = true;
    });
  }

  function ensurePhotoPanel() {
    if (S.photoPanel) return S.photoPanel;
    panel('bottomleft', function (box) {
      box.appendChild(el('div', 'Photo opacity', 'evmap-tip-title'));
      S.photoPanel = box;
    });
    return S.photoPanel;
  }

  function addOverlay(desc) {
    var old = S.overlays.get(desc.id);
    if (old) S.photos.removeLayer(old.layer);
    var layer = L.imageOverlay(desc.url, desc.bounds, { opacity: desc.opacity, interactive: false });
    S.photos.addLayer(layer);
    var row = old ? old.row : el('label');
    row.textContent = '';
    row.appendChild(el('span', desc.title || desc.id));
    var slider = el('input');
    slider.type = 'range'; slider.min = '0'; slider.max = '100';
    slider.value = String(Math.round(desc.opacity * 100));
    slider.addEventListener('input', function () { layer.setOpacity(Number(slider.value) / 100); });
    row.appendChild(slider);
    if (!old) ensurePhotoPanel().appendChild(row);
    S.overlays.set(desc.id, { layer: layer, row: row, slider: slider });
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
    S.incidents.forEach(function (rec) {
      var p = rec.feature.properties;
      if (p.t0 !== null && p.t0 !== undefined) { lo = Math.min(lo, p.t0); hi = Math.max(hi, p.t1 || p.t0); }
    });
    S.trackFeatures.forEach(function (f) {
      var t = f.properties.t;
      if (t.length) { lo = Math.min(lo, t[0]); hi = Math.max(hi, t[t.length - 1]); }
    });
    S.extent = isFinite(lo) ? [lo, hi] : null;
  }

  function buildTimeSlider() {
    computeExtent();
    if (!S.extent || S.slider) return;
    panel('bottomright', function (box) {
      box.appendChild(el('div', 'Time window (UTC)', 'evmap-tip-title'));
      var from = el('input'), to = el('input'), label = el('div');
      [from, to].forEach(function (input) { input.type = 'range'; input.min = '0'; input.max = '1000'; box.appendChild(input); });
      from.value = '0'; to.value = '1000';
      box.appendChild(label);
      S.slider = { from: from, to: to, label: label };
      function onInput() {
        var a = Number(from.value), b = Number(to.value);
        if (a > b) { var swap = a; a = b; b = swap; }
        var span = S.extent[1] - S.extent[0];
        var w = (a === 0 && b === 1000) ? null : [S.extent[0] + span * a / 1000, S.extent[0] + span * b / 1000];
        applyWindow(w);
      }
      from.addEventListener('input', onInput);
      to.addEventListener('input', onInput);
      showWindowLabel();
    });
  }

  function showWindowLabel() {
    if (!S.slider) return;
    var w = S.window || S.extent;
    S.slider.label.textContent = w ? fmtTime(w[0]) + ' \u2013 ' + fmtTime(w[1]) : '';
  }

  function applyWindow(w) {
    S.window = w;
    refreshIncidents();
    drawTracks();
    showWindowLabel();
  }

  // ---------------------------------------------------------------- place, drag, measure

  function setModeLine(text) {
    S.modeLine.textContent = text || '';
    S.modeLine.parentNode.classList.toggle('evmap-hidden', !text);
  }

  function onMapClick(ev) {
    if (S.place) {
      var target = S.place;
      EvidenceMap.setPlaceMode(null, null);
      callBridge('notifyPositionPicked', target.kind, target.id, ev.latlng.lat, ev.latlng.lng);
      return;
    }
    if (S.measure) {
      S.measure.push(ev.latlng);
      drawMeasure();
    }
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
    panel('topright', function (box) {
      var measureButton = el('button', 'Measure');
      measureButton.type = 'button';
      measureButton.addEventListener('click', function () { EvidenceMap.setMeasureMode(!S.measure); });
      box.appendChild(measureButton);
      S.measureReadout = el('span');
      box.appendChild(S.measureReadout);
      var mode = el('div', null, 'evmap-hidden');
      S.modeLine = el('span');
      mode.appendChild(S.modeLine);
      box.appendChild(mode);
      var legend = el('div');
      STATUS_LABELS.forEach(function (s) {
        var row = el('div');
        var swatch = el('span', null, 'evmap-legend-swatch');
        swatch.style.background = s[2];
        row.appendChild(swatch);
        row.appendChild(el('span', s[1]));
        legend.appendChild(row);
      });
      box.appendChild(legend);
    });
  }

  function clearHighlight() {
    if (S.highlight) { S.map.removeLayer(S.highlight); S.highlight = null; }
    S.selected = null;
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
      // folium puts zoom limits on tile layers only; MarkerCluster needs one on the map.
      map.setMaxZoom(S.options.maxZoom || 18);
      map.setMinZoom(S.options.minZoom || 2);
      map.createPane('evmapLand').style.zIndex = 250;
      S.landRenderer = L.canvas({ pane: 'evmapLand', padding: 0.5 });
      S.renderer = L.canvas({ padding: 0.5 });
      S.naturalEarth = L.layerGroup().addTo(map);
      S.graticule = L.layerGroup().addTo(map);
      S.cluster = L.markerClusterGroup({
        chunkedLoading: true, showCoverageOnHover: false, animate: false,
        disableClusteringAtZoom: 8, maxClusterRadius: 30
      }).addTo(map);
      S.circles = L.layerGroup().addTo(map);
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
      S.measureLayer = L.layerGroup().addTo(map);

      var bases = { 'Natural Earth (offline)': S.naturalEarth };
      (S.options.basemaps || []).forEach(function (b) {
        var layerOptions = { minZoom: 0, maxNativeZoom: b.maxZoom, maxZoom: 19, attribution: escapeHtml(b.attribution || '') };
        if (b.bounds) layerOptions.bounds = [[b.bounds[1], b.bounds[0]], [b.bounds[3], b.bounds[2]]];
        bases[escapeHtml(b.name)] = L.tileLayer(b.url, layerOptions);
      });
      L.control.layers(bases, {
        'Incidents': S.cluster, 'Position uncertainty': S.circles, 'AIS tracks': S.trackGroup,
        'Photo footprints': S.footprints, 'Photos': S.photos, 'Graticule': S.graticule
      }, { collapsed: true }).addTo(map);
      buildToolPanel();

      map.on('click', onMapClick);
      map.on('moveend', drawGraticule);
      map.on('overlayadd', function (ev) { if (ev.layer === S.graticule) drawGraticule(); });
      map.on('zoomend', function () { refreshCircles(); if (S.loaded.tracks) loadTracks().catch(fail); });
      map.on('moveend', function () { if (S.loaded.tracks && trackZoom() >= BBOX_TRACKS_MIN_ZOOM) loadTracks().catch(fail); });

      connectBridge();
      drawGraticule();
      Promise.all([loadLand(), loadIncidents(), loadTracks(), loadFootprints(), loadOverlays()])
        .then(function () { buildTimeSlider(); reportReady(); })
        .catch(fail);
    },

    /** Counts and flags as a JSON string (runJavaScript returns objects as empty strings). */
    state: function () {
      return JSON.stringify({
        ready: S.ready, readyMs: S.readyMs, loaded: S.loaded, counts: S.counts, errors: S.errors,
        selected: S.selected, place: S.place, window: S.window, zoom: S.map ? S.map.getZoom() : null,
        measureMetres: S.measure ? measuredMetres(S.measure) : null
      });
    },

    selectIncident: function (id, centre) {
      clearHighlight();
      var rec = S.incidents.get(id);
      if (!rec) return false;
      S.selected = id;
      var at = rec.marker.getLatLng();
      S.highlight = L.marker(at, {
        icon: L.divIcon({ className: 'evmap-selected', iconSize: [26, 26] }),
        draggable: true, keyboard: false, zIndexOffset: 1000, autoPan: false
      }).addTo(S.map);
      S.highlight.on('dragend', function () {
        var p = S.highlight.getLatLng();
        callBridge('notifyMarkerMoved', id, p.lat, p.lng);
      });
      S.highlight.on('click', function (ev) { L.DomEvent.stopPropagation(ev); callBridge('notifyIncidentClicked', id); });
      if (centre !== false) S.map.setView(at, Math.max(S.map.getZoom(), 8));
      return true;
    },

    /** The store's word on one incident (after a placement, a drag, an undo). */
    updateIncident: function (feature) {
      var id = feature.properties.id;
      var rec = S.incidents.get(id);
      if (!rec) {
        rec = makeIncident(feature);
        S.incidents.set(id, rec);
      } else {
        rec.feature = feature;
        S.cluster.removeLayer(rec.marker);
        var c = feature.geometry.coordinates;
        rec.marker.setLatLng([c[1], c[0]]);
        rec.marker.setStyle({ fillColor: feature.properties.colour });
      }
      if (inWindow(feature.properties.t0, feature.properties.t1)) S.cluster.addLayer(rec.marker);
      S.counts.incidents = S.incidents.size;
      refreshCircles();
      if (S.selected === id && S.highlight) S.highlight.setLatLng(rec.marker.getLatLng());
      return true;
    },

    setTimeWindow: function (start, end) {
      applyWindow(start === null || end === null ? null : [start, end]);
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
