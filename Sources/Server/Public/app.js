// CityBrain map: region outlines by level, click to locate, search by code. No CDN, no framework.
(function () {
  'use strict';
  const texts = {
    zh: { title: '城市大脑', search: '查找', searchLabel: '区划或网格编码', searchPlaceholder: '区划或网格编码', layers: '图层',
      street: '街道/乡镇', community: '社区/村', grid: '网格', district: '区县', city: '市', province: '省',
      hint: '点击地图查看该位置所属的网格与上级区划。', outside: '该位置不在本辖区内。', notFound: '未找到编码', workers: '网格员',
      area: '面积', code: '编码', lang: 'English', position: '位置', loading: '加载中…',
      loginTitle: '登录城市大脑', username: '用户名', password: '密码', login: '登录', logout: '退出' },
    en: { title: 'CityBrain', search: 'Find', searchLabel: 'Region or grid code', searchPlaceholder: 'Region or grid code', layers: 'Layers',
      street: 'Streets/towns', community: 'Communities', grid: 'Grids', district: 'District', city: 'City', province: 'Province',
      hint: 'Click the map to see the grid and the regions above it.', outside: 'This position is outside the territory.', notFound: 'No region with code', workers: 'Grid workers',
      area: 'Area', code: 'Code', lang: '中文', position: 'Position', loading: 'Loading…',
      loginTitle: 'Sign in to CityBrain', username: 'User name', password: 'Password', login: 'Sign in', logout: 'Sign out' }
  };
  let lang = localStorage.getItem('citybrain.lang') || 'zh';
  const t = (key) => texts[lang][key] || key;

  function applyLanguage() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    document.getElementById('language').textContent = t('lang');
  }

  const map = L.map('map', { zoomControl: true, preferCanvas: true }).setView([30.4, 120.0], 10);
  const styles = {
    district: { color: '#1d2733', weight: 3, fill: false },
    street: { color: '#b42318', weight: 2, fill: false },
    community: { color: '#1f6feb', weight: 1, fill: false },
    grid: { color: '#8c959f', weight: 0.6, fillColor: '#ffffff', fillOpacity: 0.05 }
  };
  const layers = {};
  let marker = null;
  // The session's CSRF token: sent with every write, as the server requires for cookie sessions.
  let csrfToken = null;

  async function request(url, options) {
    const headers = Object.assign({ Accept: 'application/json' }, (options && options.headers) || {});
    if (options && options.method && options.method !== 'GET' && csrfToken) { headers['X-CSRF-Token'] = csrfToken; }
    const response = await fetch(url, Object.assign({}, options, { headers, credentials: 'same-origin' }));
    const body = response.status === 204 ? null : await response.json();
    if (response.status === 401 && !url.endsWith('/session')) { showLogin(); }
    if (!response.ok) { const error = new Error((body && body.detail) || response.statusText); error.status = response.status; throw error; }
    return body;
  }
  const getJSON = (url) => request(url);

  function showLogin() {
    document.getElementById('login').hidden = false;
    document.getElementById('login-username').focus();
  }

  function signedIn(session) {
    csrfToken = session.csrfToken;
    document.getElementById('login').hidden = true;
    const who = document.getElementById('who');
    who.textContent = session.username;
    who.hidden = false;
    document.getElementById('logout').hidden = false;
  }

  async function loadLevel(level) {
    const collection = await getJSON('/api/v1/regions.geojson?level=' + level);
    layers[level] = L.geoJSON(collection, {
      style: styles[level],
      interactive: false,
      onEachFeature: (feature, layer) => {
        // Street names sit on the map; community and grid names appear on click.
        if (level === 'street') {
          layer.bindTooltip(feature.properties.name, { permanent: true, direction: 'center', className: 'region-label', interactive: false });
        }
      }
    });
    return layers[level];
  }

  function showSummary(district, counts) {
    document.getElementById('territory-name').textContent = district ? district.properties.name + ' ' + district.properties.code.slice(0, 6) : '';
    const summary = document.getElementById('summary');
    summary.innerHTML = '';
    const stats = document.createElement('div');
    stats.className = 'stats';
    for (const level of ['street', 'community', 'grid']) {
      const cell = document.createElement('div');
      const value = document.createElement('b');
      value.textContent = counts[level] || 0;
      const label = document.createElement('span');
      label.dataset.i18n = level;
      label.textContent = t(level);
      cell.append(value, label);
      stats.append(cell);
    }
    summary.append(stats);
  }

  function renderChain(result) {
    const detail = document.getElementById('detail');
    detail.innerHTML = '';
    if (!result.regions.length) {
      const p = document.createElement('p');
      p.textContent = t('outside');
      detail.append(p);
      return;
    }
    const list = document.createElement('ul');
    list.className = 'chain';
    for (const region of result.regions) {
      const item = document.createElement('li');
      const level = document.createElement('span');
      level.className = 'level';
      level.textContent = t(region.level);
      const name = document.createElement('strong');
      name.textContent = region.name;
      const code = document.createElement('code');
      code.textContent = region.code;
      item.append(level, name, code);
      list.append(item);
    }
    detail.append(list);
    const p = document.createElement('p');
    p.textContent = t('position') + ': ' + result.position.lat.toFixed(6) + ', ' + result.position.lon.toFixed(6);
    detail.append(p);
  }

  async function locate(latlng) {
    if (marker) { marker.remove(); }
    marker = L.circleMarker(latlng, { radius: 6, color: '#b42318' }).addTo(map);
    try {
      renderChain(await getJSON('/api/v1/regions/locate?lat=' + latlng.lat + '&lon=' + latlng.lng));
    } catch (error) {
      document.getElementById('detail').innerHTML = '';
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = error.message;
      document.getElementById('detail').append(p);
    }
  }

  async function findCode(code) {
    try {
      const feature = await getJSON('/api/v1/regions/' + encodeURIComponent(code) + '.geojson');
      const shape = L.geoJSON(feature, { style: { color: '#ffb000', weight: 3, fillOpacity: 0.1 } }).addTo(map);
      map.fitBounds(shape.getBounds());
      setTimeout(() => shape.remove(), 4000);
      const box = shape.getBounds().getCenter();
      locate(box);
    } catch (error) {
      const detail = document.getElementById('detail');
      detail.innerHTML = '';
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = t('notFound') + ' ' + code + ': ' + error.message;
      detail.append(p);
    }
  }

  async function start() {
    applyLanguage();
    try {
      signedIn(await request('/api/v1/session'));
    } catch (error) {
      if (error.status === 401) { showLogin(); return; }
      throw error;
    }
    if (layers.district) { return; }
    const [districts, streets, communities, grids] = await Promise.all(['district', 'street', 'community', 'grid'].map(loadLevel));
    const districtFeatures = districts.toGeoJSON().features;
    showSummary(districtFeatures[0], {
      street: streets.getLayers().length, community: communities.getLayers().length, grid: grids.getLayers().length
    });
    for (const level of ['grid', 'community', 'street', 'district']) { layers[level].addTo(map); }
    if (districtFeatures.length) { map.fitBounds(districts.getBounds()); }
  }

  document.querySelectorAll('#levels input').forEach((box) => box.addEventListener('change', () => {
    const layer = layers[box.dataset.level];
    if (!layer) { return; }
    if (box.checked) { layer.addTo(map); } else { layer.remove(); }
  }));
  map.on('click', (event) => locate(event.latlng));
  document.getElementById('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const code = document.getElementById('search-code').value.trim();
    if (code) { findCode(code); }
  });
  document.getElementById('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const message = document.getElementById('login-error');
    message.textContent = '';
    try {
      const session = await request('/api/v1/session', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: document.getElementById('login-username').value, password: document.getElementById('login-password').value })
      });
      document.getElementById('login-password').value = '';
      signedIn(session);
      await start();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await request('/api/v1/session', { method: 'DELETE' }).catch(() => {});
    window.location.reload();
  });
  document.getElementById('language').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('citybrain.lang', lang);
    applyLanguage();
  });
  start().catch((error) => {
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = error.message;
    document.getElementById('detail').append(p);
  });
})();
