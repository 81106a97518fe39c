// The base map every page shares: the configured tiles (GET /api/v1/map-settings) or a plain
// background, and the datum shift for GCJ-02 tiles. Data stays in WGS-84 everywhere; with GCJ-02
// tiles the map's projection moves every WGS-84 position onto the tiles (and clicks back), so
// outlines, markers and clicks line up without converting any feature.
window.CityBrainMap = (function () {
  'use strict';
  const a = 6378245.0;
  const ee = 0.00669342162296594323;

  function outsideChina(lat, lon) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }

  function offsetLat(x, y) {
    let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }

  function offsetLon(x, y) {
    let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }

  // The published WGS-84 → GCJ-02 formula, the same as GeoKit's CoordinateTransform: [lat, lon].
  function wgs84ToGcj02(lat, lon) {
    if (outsideChina(lat, lon)) { return [lat, lon]; }
    let dLat = offsetLat(lon - 105.0, lat - 35.0);
    let dLon = offsetLon(lon - 105.0, lat - 35.0);
    const radLat = lat / 180.0 * Math.PI;
    let magic = Math.sin(radLat);
    magic = 1 - ee * magic * magic;
    const sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * Math.PI);
    dLon = (dLon * 180.0) / (a / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lon + dLon];
  }

  // No closed form: fixed-point iteration to 1e-10° (0.01 mm), as GeoKit does.
  function gcj02ToWgs84(lat, lon) {
    if (outsideChina(lat, lon)) { return [lat, lon]; }
    let guess = [lat, lon];
    for (let i = 0; i < 50; i++) {
      const image = wgs84ToGcj02(guess[0], guess[1]);
      const dLat = image[0] - lat, dLon = image[1] - lon;
      if (Math.abs(dLat) < 1e-10 && Math.abs(dLon) < 1e-10) { break; }
      guess = [guess[0] - dLat, guess[1] - dLon];
    }
    return guess;
  }

  const mercator = L.Projection.SphericalMercator;
  const GCJ02 = L.extend({}, L.CRS.EPSG3857, {
    code: 'GCJ02',
    projection: {
      bounds: mercator.bounds,
      project(latlng) { const g = wgs84ToGcj02(latlng.lat, latlng.lng); return mercator.project(L.latLng(g[0], g[1])); },
      unproject(point) { const g = mercator.unproject(point); const w = gcj02ToWgs84(g.lat, g.lng); return L.latLng(w[0], w[1]); }
    }
  });

  let settings = null;
  async function mapSettings() {
    if (!settings) {
      settings = fetch('/api/v1/map-settings', { headers: { Accept: 'application/json' } })
        .then((r) => (r.ok ? r.json() : { tiles: null }))
        .catch(() => ({ tiles: null }));
    }
    return settings;
  }

  // A Leaflet map on `element` with the configured base map; `options` go to L.map.
  async function create(element, options) {
    const { tiles } = await mapSettings();
    const crs = tiles && tiles.datum === 'gcj02' ? GCJ02 : L.CRS.EPSG3857;
    // Clustering needs a highest zoom even without tiles.
    const map = L.map(element, Object.assign({ preferCanvas: true, crs, maxZoom: tiles ? tiles.maxZoom : 19 }, options || {}));
    if (tiles) {
      L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: tiles.maxZoom, subdomains: tiles.subdomains }).addTo(map);
    } else {
      map.getContainer().classList.add('plain-map');
    }
    map.getContainer().dataset.datum = tiles ? tiles.datum : 'none';
    return map;
  }

  return { wgs84ToGcj02, gcj02ToWgs84, GCJ02, create, mapSettings };
})();
