// The grid worker's phone page: report what the patrol finds (class, description, photo, GPS) in
// under a minute, and re-inspect the cases departments report handled in one's grids.
(function () {
  'use strict';
  const texts = {
    zh: { title: '网格员', logout: '退出', loginTitle: '登录城市大脑', username: '用户名', password: '密码', login: '登录', lang: 'English',
      reportTitle: '巡查上报', class: '类别', description: '情况描述', photo: '拍照', locate: '获取当前位置', send: '上报',
      tasksTitle: '待核查', noTasks: '没有待核查的案件。', position: '位置', noPosition: '无法获取位置，请开启定位。', needPosition: '请先获取当前位置。',
      needDescription: '请填写情况描述。', reported: '已上报，编号', due: '立案时限', note: '核查说明', pass: '核查通过', fail: '未整改，返工',
      handledNote: '部门反馈', closed: '已结案', reworked: '已退回返工', gridsTitle: '我的网格', openCases: '在办', overdueCases: '超期',
      mineTitle: '我的上报', noReports: '还没有上报过案件。' },
    en: { title: 'Grid worker', logout: 'Sign out', loginTitle: 'Sign in to CityBrain', username: 'User name', password: 'Password', login: 'Sign in', lang: '中文',
      reportTitle: 'Report from patrol', class: 'Class', description: 'What you see', photo: 'Photo', locate: 'Get my position', send: 'Report',
      tasksTitle: 'To re-inspect', noTasks: 'Nothing to re-inspect.', position: 'Position', noPosition: 'No position: turn location on.', needPosition: 'Get your position first.',
      needDescription: 'Describe what you see.', reported: 'Reported, number', due: 'To register by', note: 'Inspection note', pass: 'Passed', fail: 'Not fixed: rework',
      handledNote: 'Department feedback', closed: 'Closed', reworked: 'Sent back for rework', gridsTitle: 'My grids', openCases: 'open',
      overdueCases: 'overdue', mineTitle: 'My reports', noReports: 'No reports yet.' }
  };
  const { request, element, $ } = window.CityBrain;
  const language = window.CityBrain.language(texts);
  const t = language.t;
  let position = null;

  function setPosition(lat, lon) {
    position = { latitude: lat, longitude: lon };
    $('position').textContent = t('position') + ': ' + lat.toFixed(6) + ', ' + lon.toFixed(6);
  }
  // The page's tests (and a device without GPS in a demo) set the position directly.
  window.citybrainGridWorker = { setPosition };

  $('locate').addEventListener('click', () => {
    if (!navigator.geolocation) { $('position').textContent = t('noPosition'); return; }
    navigator.geolocation.getCurrentPosition((p) => setPosition(p.coords.latitude, p.coords.longitude),
      () => { $('position').textContent = t('noPosition'); }, { enableHighAccuracy: true, timeout: 10000 });
  });

  async function upload(file) {
    if (!file) { return []; }
    const stored = await request('/api/v1/attachments', { method: 'POST', headers: { 'Content-Type': file.type || 'application/octet-stream' }, body: file });
    return [stored.hash];
  }

  $('report-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('report-error');
    error.textContent = '';
    const description = $('description').value.trim();
    if (!description) { error.textContent = t('needDescription'); return; }
    if (!position) { error.textContent = t('needPosition'); return; }
    $('send').disabled = true;
    try {
      const attachments = await upload($('photo').files[0]);
      const key = $('report-form').dataset.key || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
      $('report-form').dataset.key = key;
      const receipt = await request('/api/v1/cases', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify({ source: 'patrol', classCode: $('class').value, description, location: position, attachments }) });
      $('reported').textContent = t('reported') + ' ' + receipt.case.number + ' · ' + receipt.case.statusName;
      $('report-form').reset();
      delete $('report-form').dataset.key;
      position = null;
      $('position').textContent = '';
      loadMine();
    } catch (e) {
      error.textContent = e.message;
    } finally {
      $('send').disabled = false;
    }
  });

  async function loadTasks() {
    const box = $('tasks');
    box.innerHTML = '';
    const page = await request('/api/v1/cases?status=handled&limit=50');
    if (!page.items.length) { box.append(element('p', t('noTasks'), 'hint')); }
    for (const c of page.items) {
      const article = element('article');
      article.dataset.number = c.number;
      article.append(element('h3', (c.className || '') + ' · ' + c.number), element('p', c.description));
      const timeline = await request('/api/v1/cases/' + c.number + '/timeline');
      const feedback = timeline.events.filter((e) => e.action === 'report-handled').pop();
      if (feedback && feedback.note) { article.append(element('p', t('handledNote') + '：' + feedback.note, 'hint')); }
      const form = element('form');
      const label = element('label', t('note'));
      const note = element('textarea');
      note.id = 'note-' + c.number;
      label.htmlFor = note.id;
      const photo = element('input');
      photo.type = 'file';
      photo.accept = 'image/jpeg,image/png,image/webp';
      photo.setAttribute('capture', 'environment');
      photo.setAttribute('aria-label', t('photo'));
      const row = element('div', null, 'row');
      const pass = element('button', t('pass'));
      pass.type = 'submit';
      pass.value = 'pass';
      const fail = element('button', t('fail'), 'fail');
      fail.type = 'submit';
      fail.value = 'fail';
      row.append(pass, fail);
      const error = element('p', null, 'error');
      error.setAttribute('role', 'alert');
      form.append(label, note, photo, row, error);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const passed = event.submitter ? event.submitter.value === 'pass' : true;
        try {
          const attachments = await upload(photo.files[0]);
          const body = { version: c.version, passed, attachments };
          if (note.value.trim()) { body.note = note.value.trim(); }
          await request('/api/v1/cases/' + c.number + '/inspect', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
          article.replaceChildren(element('h3', c.number), element('p', passed ? t('closed') : t('reworked'), 'hint'));
        } catch (e) {
          error.textContent = e.message;
        }
      });
      article.append(form);
      box.append(article);
    }
  }

  // My grids: their outlines and open cases on a small map, and per grid the open and overdue counts.
  let gridMap = null;
  async function loadGrids(territory) {
    const region = await request('/api/v1/regions/' + territory);
    const grids = region.level === 'grid'
      ? { type: 'FeatureCollection', features: [await request('/api/v1/regions/' + territory + '.geojson')] }
      : await request('/api/v1/regions.geojson?level=grid&parent=' + territory);
    const cases = await request('/api/v1/cases.geojson?limit=2000');
    const counts = {};
    for (const f of cases.features) {
      const c = counts[f.properties.gridCode] || (counts[f.properties.gridCode] = { open: 0, overdue: 0 });
      c.open += 1;
      if (f.properties.overdue) { c.overdue += 1; }
    }
    const list = $('grids');
    list.innerHTML = '';
    for (const g of grids.features) {
      const c = counts[g.properties.code] || { open: 0, overdue: 0 };
      const li = element('li');
      li.dataset.grid = g.properties.code;
      li.append(element('strong', g.properties.name), element('span', ' ' + t('openCases') + ' ' + c.open + ' · ' + t('overdueCases') + ' ' + c.overdue, c.overdue ? 'error' : 'hint'),
        element('small', g.properties.code));
      list.append(li);
    }
    if (!gridMap) { gridMap = await window.CityBrainMap.create('grid-map', { zoomControl: false, attributionControl: false }); }
    const shapes = L.geoJSON(grids, { style: { color: '#1f6feb', weight: 2, fillOpacity: 0.05 }, interactive: false }).addTo(gridMap);
    if (grids.features.length) { gridMap.fitBounds(shapes.getBounds()); }
    for (const f of cases.features) {
      const [lon, lat] = f.geometry.coordinates;
      L.circleMarker([lat, lon], { radius: 5, color: f.properties.overdue ? '#b42318' : '#bf8700', fillOpacity: 0.8 }).addTo(gridMap);
    }
  }

  async function loadMine() {
    const page = await request('/api/v1/cases?reporter=me&limit=20');
    const list = $('mine');
    list.innerHTML = '';
    if (!page.items.length) { list.append(element('li', t('noReports'), 'hint')); }
    for (const c of page.items) {
      const li = element('li');
      li.dataset.number = c.number;
      li.append(element('strong', (c.className || '—') + ' · ' + c.statusName), element('small', c.number + ' · ' + c.description));
      list.append(li);
    }
  }

  async function start() {
    language.apply();
    const session = await window.CityBrain.session();
    if (!session) { return; }
    $('territory').textContent = session.username + ' · ' + session.territory;
    const classes = (await request('/api/v1/case-classes')).items.filter((k) => !k.major && k.active);
    $('class').replaceChildren(...classes.map((k) => { const o = element('option', k.code + ' ' + k.name); o.value = k.code; return o; }));
    await Promise.all([loadTasks(), loadMine(), loadGrids(session.territory)]);
  }

  window.CityBrain.bindSignIn(start);
  start().catch((e) => { $('tasks').append(element('p', e.message, 'error')); });
})();
