// The 1+8+X cockpits: KPI tiles with 环比/同比, trend, ranking and class charts, the territory's map
// with its open cases and thematic layers, and a live feed fed by Server-Sent Events.
(function () {
  'use strict';
  const texts = {
    zh: { title: '城市大脑驾驶舱', choose: '选择驾驶舱', month: '月份', logout: '退出', loginTitle: '登录城市大脑', username: '用户名', password: '密码',
      login: '登录', lang: 'English', trend: '近12个月趋势', classes: '本月案件类别', ranking: '辖区排名', feed: '实时动态',
      reported: '本月上报', handledOnTimeRate: '按期处置率', closingRate: '结案率', closedOnTimeRate: '按期结案率', satisfactionRate: '满意率',
      averageHandlingHours: '平均处置时长', closedShare: '本月上报已办结', open: '在办案件', overdue: '超期案件', warned: '预警',
      mom: '环比', yoy: '同比', closed: '结案', live: '实时', connecting: '连接中', offline: '已断开', none: '该账号没有可查看的驾驶舱。',
      hours: '小时', streetKind: '街道驾驶舱', districtKind: '区驾驶舱', thematicKind: '专题驾驶舱', communityKind: '社区驾驶舱', gridKind: '网格驾驶舱',
      rankByRate: '按期结案率 %', rankByCount: '本月上报' },
    en: { title: 'CityBrain cockpit', choose: 'Choose a cockpit', month: 'Month', logout: 'Sign out', loginTitle: 'Sign in to CityBrain', username: 'User name',
      password: 'Password', login: 'Sign in', lang: '中文', trend: 'Last 12 months', classes: 'Classes this month', ranking: 'Ranking', feed: 'Live feed',
      reported: 'Reported this month', handledOnTimeRate: 'Handled on time', closingRate: 'Closing rate', closedOnTimeRate: 'Closed on time',
      satisfactionRate: 'Satisfaction', averageHandlingHours: 'Average handling', closedShare: 'Closed of this month\'s', open: 'Open cases',
      overdue: 'Overdue', warned: 'Warned', mom: 'MoM', yoy: 'YoY', closed: 'Closed', live: 'Live', connecting: 'Connecting', offline: 'Offline',
      none: 'This account has no cockpit to open.', hours: 'h', streetKind: 'Street', districtKind: 'District', thematicKind: 'Topic',
      communityKind: 'Community', gridKind: 'Grid', rankByRate: 'Closed on time %', rankByCount: 'Reported this month' }
  };
  const statusNames = {
    zh: { reported: '待立案', registered: '待派遣', dispatched: '待签收', handling: '处置中', handled: '待核查', closed: '已结案', evaluated: '已评价',
      rejected: '不予立案', merged: '已并单', suspended: '已挂起' },
    en: { reported: 'to register', registered: 'to dispatch', dispatched: 'dispatched', handling: 'handling', handled: 'to re-inspect', closed: 'closed',
      evaluated: 'rated', rejected: 'rejected', merged: 'merged', suspended: 'suspended' }
  };
  const actionNames = {
    zh: { report: '新上报', register: '立案', reject: '不予立案', merge: '并单', absorb: '并入', dispatch: '派遣', accept: '签收', return: '退回',
      'request-extension': '申请延期', 'decide-extension': '延期审批', suspend: '挂起', resume: '恢复', 'complete-task': '协办完成',
      'report-handled': '处置反馈', inspect: '核查', evaluate: '评价', remind: '督办', warn: '黄牌预警', escalate: '红牌升级', redact: '匿名化' },
    en: { report: 'reported', register: 'registered', reject: 'rejected', merge: 'merged', absorb: 'absorbed', dispatch: 'dispatched', accept: 'accepted',
      return: 'returned', 'request-extension': 'extension asked', 'decide-extension': 'extension decided', suspend: 'suspended', resume: 'resumed',
      'complete-task': 'task done', 'report-handled': 'handled', inspect: 'inspected', evaluate: 'rated', remind: 'reminded', warn: 'yellow card',
      escalate: 'red card', redact: 'anonymised' }
  };
  const statusColours = { reported: '#58a6ff', registered: '#58a6ff', dispatched: '#d29922', handling: '#d29922', handled: '#a371f7', suspended: '#8c959f' };
  const worseWhenUp = new Set(['averageHandlingHours', 'overdue', 'open']);
  const { request, element, $ } = window.CityBrain;
  const language = window.CityBrain.language(texts, () => { fillSelect(); if (view) { render(); } });
  const t = language.t;
  const started = performance.now();
  let cockpits = [];
  let current = null;
  let view = null;
  let map = null;
  let outline = null;
  let caseLayer = null;
  const markers = new Map();
  const themeLayers = {};
  const charts = {};
  let layerNames = {};
  let refreshTimer = null;
  let events = 0;

  const params = new URLSearchParams(location.search);

  function format(value, unit) {
    if (value === null || value === undefined) { return '—'; }
    if (unit === 'rate') { return (value * 100).toFixed(1) + '%'; }
    if (unit === 'hours') { return value.toFixed(1) + ' ' + t('hours'); }
    return Math.round(value).toLocaleString(language.current() === 'zh' ? 'zh-CN' : 'en-GB');
  }

  // 环比/同比: percentage points for rates, per cent for counts and hours.
  function change(value, base, unit) {
    if (value === null || value === undefined || base === null || base === undefined) { return { text: '—', sign: 0 }; }
    const diff = unit === 'rate' ? (value - base) * 100 : (base === 0 ? null : (value - base) / base * 100);
    if (diff === null) { return { text: '—', sign: 0 }; }
    const sign = diff > 0.05 ? 1 : diff < -0.05 ? -1 : 0;
    return { text: (sign > 0 ? '▲' : sign < 0 ? '▼' : '') + Math.abs(diff).toFixed(1) + (unit === 'rate' ? 'pp' : '%'), sign };
  }

  function fillSelect() {
    const select = $('cockpit-select');
    select.innerHTML = '';
    for (const c of cockpits) {
      const option = element('option', (language.current() === 'zh' ? c.name : c.englishName) + ' · ' + t(c.kind + 'Kind'));
      option.value = c.id;
      select.append(option);
    }
    if (current) { select.value = current.id; }
  }

  function renderTiles() {
    const box = $('tiles');
    box.innerHTML = '';
    for (const tile of view.tiles) {
      const div = element('div', null, 'tile' + (worseWhenUp.has(tile.key) ? ' worse-up' : ''));
      div.dataset.key = tile.key;
      div.append(element('span', t(tile.key), 'label'));
      const value = element('span', format(tile.value, tile.unit), 'value');
      value.dataset.value = tile.value === null ? '' : String(tile.value);
      div.append(value);
      if (tile.previous !== null || tile.lastYear !== null) {
        const compare = element('span', null, 'compare');
        for (const [label, base] of [['mom', tile.previous], ['yoy', tile.lastYear]]) {
          const c = change(tile.value, base, tile.unit);
          compare.append(element('span', t(label) + ' ' + c.text, c.sign > 0 ? 'up' : c.sign < 0 ? 'down' : ''));
        }
        div.append(compare);
      }
      box.append(div);
    }
  }

  function chart(id, config) {
    if (charts[id]) { charts[id].destroy(); }
    charts[id] = new Chart($(id), config);
  }

  function renderCharts() {
    Chart.defaults.color = '#9fb6cf';
    Chart.defaults.borderColor = 'rgba(159, 182, 207, .15)';
    Chart.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
    const thematic = current.kind === 'thematic';
    const datasets = [
      { type: 'bar', label: t('reported'), data: view.trend.map((p) => p.reported), backgroundColor: '#1f6feb', yAxisID: 'y' },
      { type: 'bar', label: t('closed'), data: view.trend.map((p) => p.closed), backgroundColor: '#3fb950', yAxisID: 'y' }
    ];
    if (!thematic) {
      datasets.push({ type: 'line', label: t('closedOnTimeRate'), data: view.trend.map((p) => p.closedOnTimeRate === null ? null : p.closedOnTimeRate * 100),
        borderColor: '#ffb000', backgroundColor: '#ffb000', yAxisID: 'rate', tension: 0.3 });
    }
    const scales = { y: { beginAtZero: true } };
    if (!thematic) { scales.rate = { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false } }; }
    chart('trend-chart', { data: { labels: view.trend.map((p) => p.month), datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales, plugins: { legend: { position: 'bottom' } } } });
    const ranked = view.ranking.slice(0, 15);
    chart('ranking-chart', { type: 'bar',
      data: { labels: ranked.map((r) => r.name),
        datasets: [{ label: thematic ? t('rankByCount') : t('rankByRate'), backgroundColor: '#58a6ff',
          data: ranked.map((r) => (thematic ? r.reported : (r.closedOnTimeRate === null ? 0 : +(r.closedOnTimeRate * 100).toFixed(1)))) }] },
      options: { indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } } } });
    const palette = ['#1f6feb', '#3fb950', '#d29922', '#a371f7', '#f85149', '#39c5cf', '#db61a2', '#8c959f', '#57606a'];
    chart('class-chart', { type: 'doughnut',
      data: { labels: view.classes.map((c) => c.name), datasets: [{ data: view.classes.map((c) => c.count), backgroundColor: palette, borderWidth: 0 }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'right' } } } });
  }

  function renderBacklog() {
    const box = $('backlog');
    box.innerHTML = '';
    for (const [key, value, cls] of [['open', view.open, ''], ['warned', view.warned, 'yellow'], ['overdue', view.overdue, 'red']]) {
      const div = element('div', null, cls);
      div.dataset.key = key;
      div.append(element('b', format(value, 'count')), element('span', t(key)));
      box.append(div);
    }
  }

  function feedItem(item, fresh) {
    const li = element('li', null, (item.overdue ? 'overdue' : '') + (fresh ? ' fresh' : ''));
    li.dataset.number = item.number;
    const what = item.action ? (actionNames[language.current()][item.action] || item.action) : (statusNames[language.current()][item.status] || item.status);
    li.append(element('strong', (item.className || '—') + ' · ' + what));
    const when = new Date(item.time || item.reportedAt).toLocaleString(language.current() === 'zh' ? 'zh-CN' : 'en-GB',
      { timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    li.append(element('small', (item.gridName || item.gridCode) + ' · ' + item.number + ' · ' + when));
    return li;
  }

  // What arrived live stays on top (newest first) across reloads; the latest reports fill the rest.
  const liveNotices = [];
  function renderFeed() {
    const list = $('feed');
    list.innerHTML = '';
    for (const notice of liveNotices) { list.append(feedItem(notice, false)); }
    const shown = new Set(liveNotices.map((n) => n.number));
    for (const item of view.recent) { if (!shown.has(item.number)) { list.append(feedItem(item, false)); } }
  }

  function render() {
    document.title = (language.current() === 'zh' ? current.name : current.englishName) + ' · ' + t('title');
    $('cockpit-name').textContent = (view.territoryName && view.territoryName !== current.name ? view.territoryName + ' · ' : '') + view.month;
    renderTiles();
    renderCharts();
    renderBacklog();
    renderFeed();
  }

  const childLevel = { district: 'street', street: 'community', community: 'grid', grid: 'grid' };

  async function drawMap() {
    if (!map) {
      map = await window.CityBrainMap.create('cockpit-map', { zoomControl: true, attributionControl: true });
      map.setView([30.4, 120.0], 10);
      map.on('moveend', refreshThemeLayers);
    }
    if (outline) { outline.remove(); }
    outline = L.featureGroup().addTo(map);
    const territory = current.territory;
    const root = territory
      ? await request('/api/v1/regions/' + territory + '.geojson')
      : await request('/api/v1/regions.geojson?level=district');
    const rootShape = L.geoJSON(root, { style: { color: '#58a6ff', weight: 3, fill: false }, interactive: false }).addTo(outline);
    const level = territory ? childLevel[root.properties.level] : 'street';
    const children = await request('/api/v1/regions.geojson?level=' + level + (territory ? '&parent=' + territory : ''));
    L.geoJSON(children, { style: { color: '#2f6aa3', weight: 1, fillColor: '#0b2748', fillOpacity: 0.3 }, interactive: false,
      onEachFeature: (f, layer) => { if (level !== 'grid') { layer.bindTooltip(CityBrain.tooltip(f.properties.name), { permanent: true, direction: 'center', className: 'region-label dark' }); } }
    }).addTo(outline);
    map.fitBounds(rootShape.getBounds(), { padding: [10, 10] });
    await drawCases();
    drawLayerToggles();
  }

  function caseMarker(properties, latlng) {
    const colour = properties.overdue ? '#f85149' : (statusColours[properties.status] || '#8c959f');
    const icon = L.divIcon({ className: 'case-dot', html: '<span style="background:' + colour + '"></span>', iconSize: [12, 12] });
    return L.marker(latlng, { icon, keyboard: false, overdue: properties.overdue })
      .bindTooltip(CityBrain.tooltip((properties.className || '—') + ' · ' + (statusNames[language.current()][properties.status] || properties.status), properties.number));
  }

  // Open cases cluster by place; a cluster is red when most of its cases are overdue.
  function clusterIcon(cluster) {
    const children = cluster.getAllChildMarkers();
    const overdue = children.filter((m) => m.options.overdue).length;
    const n = cluster.getChildCount();
    const size = Math.round(Math.min(52, 22 + Math.log10(n) * 10));
    return L.divIcon({ className: 'case-cluster' + (overdue * 2 > n ? ' overdue' : ''), iconSize: [size, size],
      html: '<span>' + (n >= 10000 ? Math.round(n / 1000) + 'k' : n) + '</span>' });
  }

  async function drawCases() {
    if (caseLayer) { caseLayer.remove(); }
    caseLayer = L.markerClusterGroup({ maxClusterRadius: 45, showCoverageOnHover: false, chunkedLoading: true, iconCreateFunction: clusterIcon }).addTo(map);
    markers.clear();
    const base = '/api/v1/cases.geojson?limit=20000' + (current.territory ? '&territory=' + current.territory : '');
    const prefixes = view.classFilter.length ? view.classFilter : [null];
    const collections = await Promise.all(prefixes.map((p) => request(base + (p ? '&class=' + p : ''))));
    const batch = [];
    for (const collection of collections) {
      for (const f of collection.features) {
        const [lon, lat] = f.geometry.coordinates;
        const marker = caseMarker(f.properties, [lat, lon]);
        markers.set(f.properties.number, marker);
        batch.push(marker);
      }
    }
    caseLayer.addLayers(batch);
    document.body.dataset.cases = String(markers.size);
  }

  function drawLayerToggles() {
    const box = $('layer-toggles');
    box.innerHTML = '';
    for (const id of Object.keys(themeLayers)) { themeLayers[id].layer.remove(); delete themeLayers[id]; }
    box.hidden = !view.layers.length;
    for (const id of view.layers) {
      const label = element('label');
      const input = element('input');
      input.type = 'checkbox';
      input.dataset.layer = id;
      input.addEventListener('change', () => toggleLayer(id, input.checked));
      label.append(input, document.createTextNode(' ' + (layerNames[id] || id)));
      box.append(label);
    }
  }

  async function toggleLayer(id, on) {
    if (themeLayers[id]) { themeLayers[id].layer.remove(); delete themeLayers[id]; }
    if (on) { themeLayers[id] = { layer: L.featureGroup().addTo(map) }; await loadLayer(id); }
  }

  async function loadLayer(id) {
    const entry = themeLayers[id];
    if (!entry) { return; }
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(',');
    const collection = await request('/api/v1/layers/' + id + '/features?bbox=' + bbox + '&zoom=' + map.getZoom());
    entry.layer.clearLayers();
    for (const f of collection.features) {
      const [lon, lat] = f.geometry.coordinates;
      const count = f.properties.count || 1;
      L.circleMarker([lat, lon], { radius: Math.min(18, 3 + Math.log2(count) * 2), color: '#39c5cf', fillColor: '#39c5cf', fillOpacity: 0.35, weight: 1 })
        .bindTooltip(CityBrain.tooltip((layerNames[id] || id) + ': ' + count)).addTo(entry.layer);
    }
    document.body.dataset.layerLoaded = id;
  }

  function refreshThemeLayers() { for (const id of Object.keys(themeLayers)) { loadLayer(id); } }

  async function load() {
    try {
      const month = $('month').value;
      view = await request('/api/v1/cockpits/' + encodeURIComponent(current.id) + (month ? '?month=' + month : ''));
      render();
      $('error').textContent = '';
      if (!document.body.dataset.firstRender) {
        await drawMap();
        // Time from navigation to a cockpit with tiles, charts and map drawn (read by the browser tests).
        document.body.dataset.firstRender = String(Math.round(performance.now()));
      }
      document.body.dataset.loaded = String(Date.now());
    } catch (e) {
      $('error').textContent = e.message;
    }
  }

  async function switchTo(id) {
    current = cockpits.find((c) => c.id === id) || cockpits[0];
    $('cockpit-select').value = current.id;
    const url = new URL(location.href);
    url.searchParams.set('id', current.id);
    history.replaceState(null, '', url);
    delete document.body.dataset.firstRender;
    liveNotices.length = 0;
    await load();
  }

  // Region codes nest by prefix in their short form (330110 ⊃ 330110001 ⊃ 330110001001 ⊃ its grids).
  function shortForm(code) {
    if (code.length !== 12) { return code; }
    if (code.endsWith('000000')) { return code.slice(0, 6); }
    if (code.endsWith('000')) { return code.slice(0, 9); }
    return code;
  }

  // A notice concerns this cockpit when its grid lies in the cockpit's territory and, for a topic, its class is the topic's.
  function concerns(notice) {
    if (current.territory && !notice.gridCode.startsWith(shortForm(current.territory))) { return false; }
    if (view && view.classFilter.length && !view.classFilter.some((p) => notice.classCode && notice.classCode.startsWith(p))) { return false; }
    return true;
  }

  let live = null;
  function connectLive() {
    if (live) { return; }
    const indicator = $('live');
    live = window.CityBrain.live((notice) => {
      if (!view || !concerns(notice)) { return; }
      events += 1;
      document.body.dataset.events = String(events);
      liveNotices.unshift(notice);
      if (liveNotices.length > 40) { liveNotices.pop(); }
      const list = $('feed');
      list.prepend(feedItem(notice, true));
      while (list.children.length > 40) { list.lastChild.remove(); }
      const old = markers.get(notice.number);
      if (old && caseLayer) { caseLayer.removeLayer(old); markers.delete(notice.number); }
      if (map && caseLayer && !['closed', 'evaluated', 'rejected', 'merged'].includes(notice.status)) {
        const marker = caseMarker(notice, [notice.lat, notice.lon]);
        markers.set(notice.number, marker);
        caseLayer.addLayer(marker);
      }
      // Tiles and charts follow within a few seconds; bursts are coalesced into one reload.
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(load, 1500);
    }, (s) => {
      indicator.dataset.state = s;
      indicator.textContent = t(s === 'open' ? 'live' : s === 'closed' ? 'offline' : 'connecting');
    });
  }

  function tick() {
    $('clock').textContent = new Date().toLocaleString(language.current() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', hour12: false });
  }

  async function start() {
    language.apply();
    const session = await window.CityBrain.session();
    if (!session) { return; }
    try {
      cockpits = (await request('/api/v1/cockpits')).cockpits;
    } catch (e) {
      $('error').textContent = e.status === 403 ? t('none') : e.message;
      return;
    }
    if (!cockpits.length) { $('error').textContent = t('none'); return; }
    try {
      const layers = await request('/api/v1/layers');
      for (const l of layers.items || layers) { layerNames[l.id] = language.current() === 'zh' ? l.name : (l.englishName || l.name); }
    } catch (e) { layerNames = {}; }
    const today = new Date().toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' });
    $('month').value = params.get('month') || today.slice(0, 7);
    current = cockpits.find((c) => c.id === params.get('id')) || cockpits[0];
    fillSelect();
    await switchTo(current.id);
    connectLive();
    if (!clockRunning) {
      clockRunning = true;
      tick();
      setInterval(tick, 1000);
      // Overdue marks move with the clock, not only with changes.
      setInterval(load, 60000);
    }
  }
  let clockRunning = false;

  $('cockpit-select').addEventListener('change', (e) => switchTo(e.target.value));
  $('month').addEventListener('change', load);
  window.CityBrain.bindSignIn(start);
  start().catch((e) => { $('error').textContent = e.message; });
  window.cockpitStarted = started;
})();
