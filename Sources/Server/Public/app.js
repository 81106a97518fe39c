// 一张图: region outlines by level with labels, the thematic layers (clustered by the server at low
// zoom), open cases by status (clustered in the browser), search by region code, case number or
// address, and details on click (personal data masked; a reveal asks for the purpose).
(function () {
  'use strict';
  const texts = {
    zh: { title: '城市大脑', search: '查找', searchLabel: '区划编码、案件编号或地址', searchPlaceholder: '编码、案件编号或地址', layers: '区划',
      street: '街道/乡镇', community: '社区/村', grid: '网格', district: '区县', city: '市', province: '省',
      hint: '点击地图查看该位置所属的网格与上级区划。', outside: '该位置不在本辖区内。', notFound: '未找到', workers: '网格员',
      area: '面积', code: '编码', lang: 'English', position: '位置', loading: '加载中…', logout: '退出',
      loginTitle: '登录城市大脑', username: '用户名', password: '密码', login: '登录',
      cases: '案件', caseNew: '待立案/待派遣', caseHandling: '处置中', caseInspect: '待核查', caseOverdueOnly: '只看超期',
      thematic: '专题图层', status: '状态', className: '类别', description: '描述', address: '地址', reportedAt: '上报时间', phone: '联系电话',
      reveal: '查看完整号码', purpose: '查看目的（将记入审计）', confirm: '确定', openWorkbench: '在工作台打开', members: '数量',
      noMatch: '未找到匹配的地址', matched: '匹配地址', score: '匹配度', truncated: '案件较多，仅显示最新的部分。' },
    en: { title: 'CityBrain', search: 'Find', searchLabel: 'Region code, case number or address', searchPlaceholder: 'Code, case number or address', layers: 'Regions',
      street: 'Streets/towns', community: 'Communities', grid: 'Grids', district: 'District', city: 'City', province: 'Province',
      hint: 'Click the map to see the grid and the regions above it.', outside: 'This position is outside the territory.', notFound: 'Not found', workers: 'Grid workers',
      area: 'Area', code: 'Code', lang: '中文', position: 'Position', loading: 'Loading…', logout: 'Sign out',
      loginTitle: 'Sign in to CityBrain', username: 'User name', password: 'Password', login: 'Sign in',
      cases: 'Cases', caseNew: 'To register/dispatch', caseHandling: 'Being handled', caseInspect: 'To re-inspect', caseOverdueOnly: 'Overdue only',
      thematic: 'Thematic layers', status: 'Status', className: 'Class', description: 'Description', address: 'Address', reportedAt: 'Reported',
      phone: 'Phone', reveal: 'Show the full number', purpose: 'Purpose (recorded in the audit trail)', confirm: 'Confirm',
      openWorkbench: 'Open in the workbench', members: 'Count', noMatch: 'No address matches', matched: 'Matched address', score: 'Score',
      truncated: 'Many cases: only the newest are shown.' }
  };
  const statusNames = {
    zh: { reported: '待立案', registered: '待派遣', dispatched: '待签收', handling: '处置中', handled: '待核查', suspended: '已挂起' },
    en: { reported: 'to register', registered: 'to dispatch', dispatched: 'dispatched', handling: 'handling', handled: 'to re-inspect', suspended: 'suspended' }
  };
  const caseGroups = { caseNew: ['reported', 'registered'], caseHandling: ['dispatched', 'handling', 'suspended'], caseInspect: ['handled'] };
  const statusColours = { reported: '#1f6feb', registered: '#1f6feb', dispatched: '#bf8700', handling: '#bf8700', handled: '#8250df', suspended: '#57606a' };
  const { request, element, $ } = window.CityBrain;
  const language = window.CityBrain.language(texts, () => {
    document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    loadLayerList();
  });
  const t = language.t;
  const styles = {
    district: { color: '#1d2733', weight: 3, fill: false },
    street: { color: '#b42318', weight: 2, fill: false },
    community: { color: '#1f6feb', weight: 1, fill: false },
    grid: { color: '#8c959f', weight: 0.6, fillColor: '#ffffff', fillOpacity: 0.05 }
  };
  let map = null;
  let session = null;
  const regionLayers = {};
  let marker = null;
  let caseCluster = null;
  let caseFeatures = [];
  const thematic = {};
  let layerDefinitions = [];
  let panTimer = null;

  const may = (permission) => session && session.permissions.includes(permission);

  function showError(where, message) {
    const box = $(where);
    box.innerHTML = '';
    box.append(element('p', message, 'error'));
  }

  async function loadLevel(level) {
    const collection = await request('/api/v1/regions.geojson?level=' + level);
    regionLayers[level] = L.geoJSON(collection, {
      style: styles[level],
      interactive: false,
      onEachFeature: (feature, layer) => {
        // Street names always; community and grid names once zoomed in far enough to read them.
        if (level === 'street' || level === 'community' || level === 'grid') {
          layer.bindTooltip(CityBrain.tooltip(feature.properties.name), { permanent: true, direction: 'center', className: 'region-label ' + level + '-label', interactive: false });
        }
      }
    });
    return regionLayers[level];
  }

  function labelsForZoom() {
    const z = map.getZoom();
    const box = map.getContainer().classList;
    box.toggle('show-community-labels', z >= 13);
    box.toggle('show-grid-labels', z >= 15);
  }

  function showSummary(district, counts) {
    $('territory-name').textContent = district ? district.properties.name + ' ' + district.properties.code.slice(0, 6) : '';
    const summary = $('summary');
    summary.innerHTML = '';
    const stats = element('div', null, 'stats');
    for (const level of ['street', 'community', 'grid']) {
      const cell = element('div');
      const label = element('span', t(level));
      label.dataset.i18n = level;
      cell.append(element('b', String(counts[level] || 0)), label);
      stats.append(cell);
    }
    if (counts.cases !== undefined) {
      const cell = element('div');
      const label = element('span', t('cases'));
      label.dataset.i18n = 'cases';
      cell.append(element('b', String(counts.cases)), label);
      cell.id = 'open-cases';
      stats.append(cell);
    }
    summary.append(stats);
  }

  function renderChain(result) {
    const detail = $('detail');
    detail.innerHTML = '';
    if (!result.regions.length) { detail.append(element('p', t('outside'))); return; }
    const list = element('ul', null, 'chain');
    for (const region of result.regions) {
      const item = element('li');
      item.append(element('span', t(region.level), 'level'), element('strong', region.name), element('code', region.code));
      list.append(item);
    }
    detail.append(list);
    detail.append(element('p', t('position') + ': ' + result.position.lat.toFixed(6) + ', ' + result.position.lon.toFixed(6)));
  }

  function pin(latlng) {
    if (marker) { marker.remove(); }
    marker = L.circleMarker(latlng, { radius: 7, color: '#b42318', weight: 3 }).addTo(map);
  }

  async function locate(latlng) {
    pin(latlng);
    try {
      renderChain(await request('/api/v1/regions/locate?lat=' + latlng.lat + '&lon=' + latlng.lng));
    } catch (error) {
      showError('detail', error.message);
    }
  }

  // MARK: cases

  function caseIcon(p) {
    const colour = p.overdue ? '#b42318' : (statusColours[p.status] || '#57606a');
    return L.divIcon({ className: 'case-dot' + (p.overdue ? ' overdue' : ''), html: '<span style="background:' + colour + '"></span>', iconSize: [14, 14] });
  }

  function wantedStatuses() {
    const on = [];
    document.querySelectorAll('#case-toggles input[data-group]').forEach((box) => { if (box.checked) { on.push(...caseGroups[box.dataset.group]); } });
    return on;
  }

  function drawCases() {
    if (!caseCluster) { return; }
    caseCluster.clearLayers();
    const statuses = new Set(wantedStatuses());
    const overdueOnly = $('case-overdue').checked;
    const markers = [];
    for (const f of caseFeatures) {
      const p = f.properties;
      if (!statuses.has(p.status) || (overdueOnly && !p.overdue)) { continue; }
      const [lon, lat] = f.geometry.coordinates;
      const m = L.marker([lat, lon], { icon: caseIcon(p), keyboard: false, title: p.number });
      m.on('click', () => showCase(p.number));
      markers.push(m);
    }
    caseCluster.addLayers(markers);
    document.body.dataset.casesShown = String(markers.length);
  }

  async function loadCases() {
    if (!may('case.read')) { $('case-toggles').hidden = true; return; }
    const collection = await request('/api/v1/cases.geojson?limit=20000');
    caseFeatures = collection.features;
    $('case-note').textContent = collection.truncated ? t('truncated') : '';
    if (!caseCluster) { caseCluster = L.markerClusterGroup({ chunkedLoading: true, maxClusterRadius: 50, showCoverageOnHover: false }).addTo(map); }
    drawCases();
    const open = $('open-cases');
    if (open) { open.querySelector('b').textContent = String(caseFeatures.length); }
  }

  async function showCase(number) {
    try {
      const c = await request('/api/v1/cases/' + encodeURIComponent(number));
      const detail = $('detail');
      detail.innerHTML = '';
      detail.dataset.case = c.number;
      detail.append(element('h2', c.number));
      const facts = element('dl', null, 'facts');
      const fact = (label, value) => { if (value) { facts.append(element('dt', t(label)), element('dd', value)); } };
      fact('status', c.statusName);
      fact('className', c.classCode ? c.classCode + ' ' + (c.className || '') : null);
      fact('description', c.description);
      fact('address', c.addressText);
      fact('grid', c.gridCode);
      fact('reportedAt', new Date(c.reportedAt).toLocaleString(language.current() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai' }));
      if (c.contactPhone) {
        const phone = element('dd', c.contactPhone);
        phone.id = 'case-phone';
        facts.append(element('dt', t('phone')), phone);
      }
      detail.append(facts);
      if (c.contactPhone && may('personal-data.reveal')) { detail.append(revealForm(c.number)); }
      const link = element('a', t('openWorkbench'));
      link.href = '/workbench.html#case=' + encodeURIComponent(c.number);
      detail.append(link);
      const [lon, lat] = [c.location.longitude, c.location.latitude];
      pin(L.latLng(lat, lon));
    } catch (error) {
      showError('detail', t('notFound') + ' ' + number + ': ' + error.message);
    }
  }

  function revealForm(number) {
    const form = element('form', null, 'reveal');
    const label = element('label', t('purpose'));
    label.htmlFor = 'reveal-purpose';
    const input = element('input');
    input.id = 'reveal-purpose';
    input.required = true;
    const button = element('button', t('reveal'));
    button.type = 'submit';
    const error = element('p', null, 'error');
    form.append(label, input, button, error);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const body = await request('/api/v1/cases/' + encodeURIComponent(number) + '/contact/reveal', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ purpose: input.value }) });
        $('case-phone').textContent = body.contactPhone;
        form.remove();
      } catch (e) {
        error.textContent = e.message;
      }
    });
    return form;
  }

  // MARK: thematic layers

  async function loadLayerList() {
    if (!may('layer.read')) { $('thematic').hidden = true; return; }
    if (!layerDefinitions.length) { layerDefinitions = (await request('/api/v1/layers')).items; }
    const box = $('thematic-list');
    const on = new Set(Object.keys(thematic));
    box.innerHTML = '';
    for (const layer of layerDefinitions) {
      const label = element('label');
      const input = element('input');
      input.type = 'checkbox';
      input.dataset.layer = layer.id;
      input.checked = on.has(layer.id);
      input.addEventListener('change', () => toggleThematic(layer.id, input.checked));
      label.append(input, document.createTextNode(' ' + (language.current() === 'zh' ? layer.name : (layer.englishName || layer.name))));
      box.append(label);
    }
  }

  async function toggleThematic(id, on) {
    if (thematic[id]) { thematic[id].remove(); delete thematic[id]; }
    if (on) {
      thematic[id] = L.featureGroup().addTo(map);
      await loadThematic(id);
    }
  }

  function layerName(id) {
    const d = layerDefinitions.find((l) => l.id === id);
    return d ? (language.current() === 'zh' ? d.name : (d.englishName || d.name)) : id;
  }

  async function loadThematic(id) {
    const group = thematic[id];
    if (!group) { return; }
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(',');
    const collection = await request('/api/v1/layers/' + encodeURIComponent(id) + '/features?bbox=' + bbox + '&zoom=' + map.getZoom());
    if (thematic[id] !== group) { return; }
    group.clearLayers();
    for (const f of collection.features) {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      if (collection.clustered && p.count > 1) {
        const size = Math.round(Math.min(46, 18 + Math.log10(p.count) * 8));
        const icon = L.divIcon({ className: 'layer-cluster', html: '<span>' + (p.count >= 10000 ? Math.round(p.count / 1000) + 'k' : p.count) + '</span>', iconSize: [size, size] });
        const m = L.marker([lat, lon], { icon, keyboard: false });
        if (p.bbox) { m.on('click', () => map.fitBounds([[p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]])); }
        m.addTo(group);
      } else {
        const m = L.circleMarker([lat, lon], { radius: 5, color: '#0a7f6f', fillColor: '#2da44e', fillOpacity: 0.8, weight: 1 });
        m.on('click', () => {
          const detail = $('detail');
          detail.innerHTML = '';
          detail.append(element('h2', layerName(id)));
          const facts = element('dl', null, 'facts');
          facts.append(element('dt', t('address')), element('dd', p.address || '—'), element('dt', t('code')), element('dd', p.addressCode || '—'),
            element('dt', t('members')), element('dd', String(p.count)));
          detail.append(facts);
        });
        m.addTo(group);
      }
    }
    document.body.dataset.thematicLoaded = String(Date.now());
  }

  function refreshThematic() {
    clearTimeout(panTimer);
    panTimer = setTimeout(() => { for (const id of Object.keys(thematic)) { loadThematic(id); } }, 150);
  }

  // MARK: search

  async function search(text) {
    if (/^\d{6}-\d{8}-\d{6}$/.test(text)) {
      const c = await request('/api/v1/cases/' + text).catch((e) => { showError('detail', t('notFound') + ' ' + text + ': ' + e.message); return null; });
      if (c) { map.setView([c.location.latitude, c.location.longitude], 17); showCase(text); }
      return;
    }
    if (/^\d{6,15}$/.test(text)) {
      try {
        const feature = await request('/api/v1/regions/' + encodeURIComponent(text) + '.geojson');
        const shape = L.geoJSON(feature, { style: { color: '#ffb000', weight: 3, fillOpacity: 0.1 } }).addTo(map);
        map.fitBounds(shape.getBounds());
        setTimeout(() => shape.remove(), 4000);
        locate(shape.getBounds().getCenter());
      } catch (error) {
        showError('detail', t('notFound') + ' ' + text + ': ' + error.message);
      }
      return;
    }
    try {
      const result = await request('/api/v1/addresses/match?q=' + encodeURIComponent(text));
      if (!result.best) { showError('detail', t('noMatch') + (result.reason ? ': ' + result.reason : '')); return; }
      const a = result.best.address;
      const latlng = L.latLng(a.position.lat, a.position.lon);
      map.setView(latlng, 18);
      await locate(latlng);
      const detail = $('detail');
      const facts = element('dl', null, 'facts');
      facts.append(element('dt', t('matched')), element('dd', a.address), element('dt', t('score')), element('dd', result.best.score.toFixed(2)));
      detail.prepend(facts);
    } catch (error) {
      showError('detail', error.message);
    }
  }

  // MARK: live

  let live = null;
  function listen() {
    if (!may('case.read') || live) { return; }
    let timer = null;
    live = window.CityBrain.live(() => {
      clearTimeout(timer);
      timer = setTimeout(() => loadCases().catch(() => {}), 1500);
    });
  }

  async function start() {
    language.apply();
    document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    session = await window.CityBrain.session();
    if (!session) { return; }
    $('who').textContent = session.username;
    $('who').hidden = false;
    if (map) { return; }
    map = await window.CityBrainMap.create('map', { zoomControl: true });
    map.setView([30.4, 120.0], 10);
    map.on('click', (event) => locate(event.latlng));
    map.on('zoomend', labelsForZoom);
    map.on('moveend', refreshThematic);
    const [districts, streets, communities, grids] = await Promise.all(['district', 'street', 'community', 'grid'].map(loadLevel));
    const districtFeatures = districts.toGeoJSON().features;
    for (const level of ['grid', 'community', 'street', 'district']) { regionLayers[level].addTo(map); }
    if (districtFeatures.length) { map.fitBounds(districts.getBounds()); }
    labelsForZoom();
    showSummary(districtFeatures[0], { street: streets.getLayers().length, community: communities.getLayers().length, grid: grids.getLayers().length,
      cases: may('case.read') ? 0 : undefined });
    // Time from navigation to outlines drawn (read by the browser tests).
    document.body.dataset.firstRender = String(Math.round(performance.now()));
    await Promise.all([loadLayerList(), loadCases()]);
    // …and to the open cases and the layer list as well.
    document.body.dataset.readyMs = String(Math.round(performance.now()));
    document.body.dataset.ready = 'true';
    listen();
  }

  document.querySelectorAll('#levels input').forEach((box) => box.addEventListener('change', () => {
    const layer = regionLayers[box.dataset.level];
    if (!layer) { return; }
    if (box.checked) { layer.addTo(map); } else { layer.remove(); }
  }));
  document.querySelectorAll('#case-toggles input').forEach((box) => box.addEventListener('change', drawCases));
  $('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('search-code').value.trim();
    if (text) { search(text); }
  });
  window.CityBrain.bindSignIn(start);
  start().catch((error) => { showError('detail', error.message); });
  window.citybrainMap = { get map() { return map; } };
})();
