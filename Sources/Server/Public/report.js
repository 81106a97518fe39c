// The residents' page: report a problem (position on the map, by GPS or by address; a photo; an
// optional phone), get a tracking code, follow the case and rate it. No account, no framework.
(function () {
  'use strict';
  const texts = {
    zh: { title: '随手拍：反映问题', reportTitle: '反映一个问题', description: '问题描述', descriptionHint: '例如：小区门口垃圾堆放多日无人清理',
      whereHint: '在地图上点选位置，或使用当前位置，或填写地址。', usePosition: '使用我的当前位置', address: '地址（可选）',
      addressHint: '例如：临平街道迎宾路12号', photo: '照片（可选）', phone: '联系电话（可选，仅用于回访）', submit: '提交',
      received: '已收到，谢谢！请记下您的查询码：', keepCode: '凭查询码可查看处理进度并评价。查询码只显示这一次。',
      trackTitle: '查询进度', code: '查询码', lookUp: '查询', number: '编号', rate: '对处理结果的满意度', s5: '非常满意', s4: '满意',
      s3: '一般', s2: '不满意', s1: '非常不满意', comment: '意见（可选）', sendRating: '提交评价', lang: 'English',
      chosen: '已选位置', needDescription: '请描述问题。', needPlace: '请在地图上点选位置、使用当前位置或填写地址。',
      noPosition: '无法获取当前位置，请在地图上点选。', sending: '正在提交…', rated: '感谢您的评价：', notFound: '未找到该查询码对应的案件。' },
    en: { title: 'Report a problem', reportTitle: 'Report a problem', description: 'What is wrong', descriptionHint: 'e.g. rubbish piled at the gate for days',
      whereHint: 'Pick the place on the map, use your position, or give the address.', usePosition: 'Use my position', address: 'Address (optional)',
      addressHint: 'e.g. 12 Yingbin Road, Linping', photo: 'Photo (optional)', phone: 'Phone (optional, only for a call-back)', submit: 'Send',
      received: 'Received, thank you. Keep your tracking code:', keepCode: 'With it you can follow the case and rate it. It is shown only once.',
      trackTitle: 'Follow a case', code: 'Tracking code', lookUp: 'Look up', number: 'Number', rate: 'How satisfied are you with the result?',
      s5: 'Very satisfied', s4: 'Satisfied', s3: 'Neutral', s2: 'Dissatisfied', s1: 'Very dissatisfied', comment: 'Comment (optional)',
      sendRating: 'Send rating', lang: '中文', chosen: 'Chosen place', needDescription: 'Please describe the problem.',
      needPlace: 'Pick the place on the map, use your position, or give the address.', noPosition: 'Your position is not available: pick it on the map.',
      sending: 'Sending…', rated: 'Thank you for rating:', notFound: 'No case has this tracking code.' }
  };
  let lang = localStorage.getItem('citybrain.lang') || 'zh';
  const t = (key) => texts[lang][key] || key;
  const $ = (id) => document.getElementById(id);

  function applyLanguage() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    $('language').textContent = t('lang');
  }

  // The server's reasons are written for developers; residents read them in their language, by
  // field (or by status when the whole request was refused). Unknown ones pass through.
  const refusals = {
    zh: { description: '请描述问题（不超过2000字）。', location: '该位置不在本区范围内，请在地图上重新点选。', addressText: '未找到该地址，请在地图上点选位置。',
      addressCode: '未找到该地址，请在地图上点选位置。', contactPhone: '联系电话格式不正确，请填写11位手机号或带区号的固定电话。',
      attachments: '照片上传失败，请重新选择照片。', satisfaction: '请选择满意度。', comment: '意见过长，请精简。', classCode: '问题类别无效。',
      429: '提交过于频繁，请一小时后再试。', 413: '照片太大（最大10MB），请压缩后重试。', 415: '只能上传JPEG、PNG或WebP照片。',
      409: '该案件目前还不能评价（处理尚未结束或已评价）。', 404: '未找到该查询码对应的案件。', 500: '服务暂时不可用，请稍后再试。' },
    en: { description: 'Please describe the problem (at most 2,000 characters).', location: 'That place is outside the district: pick it on the map again.',
      addressText: 'The address was not found: pick the place on the map.', addressCode: 'The address was not found: pick the place on the map.',
      contactPhone: 'The phone number is not valid: give an 11-digit mobile number or a landline with its area code.',
      attachments: 'The photo could not be attached: choose it again.', satisfaction: 'Choose how satisfied you are.', comment: 'The comment is too long.',
      classCode: 'The problem class is not valid.', 429: 'Too many requests from here: try again within the hour.',
      413: 'The photo is too large (10 MB at most): make it smaller and try again.', 415: 'Only JPEG, PNG or WebP photos can be sent.',
      409: 'This case cannot be rated now (not finished yet, or rated already).', 404: 'No case has this tracking code.',
      500: 'The service is not available just now: try again later.' }
  };

  function refusal(status, body) {
    const first = body && body.errors && body.errors[0];
    const field = first && first.field ? first.field.replace(/\[\d+\]$/, '') : null;
    const table = refusals[lang];
    if (field && table[field]) { return table[field]; }
    if (table[status]) { return table[status]; }
    return first ? first.reason : (body && body.detail) || String(status);
  }

  async function call(url, options) {
    const headers = Object.assign({ 'Accept-Language': lang === 'en' ? 'en' : 'zh-CN' }, (options && options.headers) || {});
    const response = await fetch(url, Object.assign({ credentials: 'omit' }, options, { headers }));
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error(refusal(response.status >= 500 ? 500 : response.status, body));
      error.status = response.status;
      error.problem = body;
      throw error;
    }
    return body;
  }

  // The map: the district and its streets on a plain background (no tiles needed); a click sets the place.
  let map = null;
  let place = null;
  let marker = null;
  function choose(latlng) {
    place = { longitude: latlng.lng, latitude: latlng.lat };
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
    $('where').textContent = t('chosen') + ': ' + latlng.lat.toFixed(6) + ', ' + latlng.lng.toFixed(6);
  }
  // The base map as configured (tiles, or outlines on a plain background).
  window.CityBrainMap.create('report-map').then((created) => {
    map = created;
    map.setView([30.4, 120.0], 10);
    map.on('click', (event) => choose(event.latlng));
    // For the page's own tests and for embedding: choose a place programmatically.
    window.citybrainReport = { choose: (lat, lon) => choose(L.latLng(lat, lon)), map };
    return call('/api/v1/public/outline');
  }).then((outline) => {
    const shapes = L.geoJSON(outline, { style: (f) => ({ color: f.properties.level === 'district' ? '#1d2733' : '#b42318', weight: f.properties.level === 'district' ? 3 : 1, fill: false }), interactive: false }).addTo(map);
    if (outline.features.length) { map.fitBounds(shapes.getBounds()); }
  }).catch(() => {});

  $('use-position').addEventListener('click', () => {
    if (!navigator.geolocation) { $('where').textContent = t('noPosition'); return; }
    navigator.geolocation.getCurrentPosition((p) => { choose(L.latLng(p.coords.latitude, p.coords.longitude)); map.setView(marker.getLatLng(), 16); },
      () => { $('where').textContent = t('noPosition'); }, { enableHighAccuracy: true, timeout: 10000 });
  });

  $('report-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('report-error');
    error.textContent = '';
    const description = $('description').value.trim();
    const address = $('address').value.trim();
    if (!description) { error.textContent = t('needDescription'); $('description').focus(); return; }
    if (!place && !address) { error.textContent = t('needPlace'); return; }
    const button = $('submit-report');
    button.disabled = true;
    button.textContent = t('sending');
    try {
      const attachments = [];
      const file = $('photo').files[0];
      if (file) {
        const uploaded = await call('/api/v1/public/attachments', { method: 'POST', headers: { 'Content-Type': file.type || 'application/octet-stream' }, body: file });
        attachments.push(uploaded.hash);
      }
      const report = { description, attachments };
      if (place) { report.location = place; }
      if (address) { report.addressText = address; }
      const phone = $('phone').value.trim();
      if (phone) { report.contactPhone = phone; }
      // One key per form: a retried send after a lost answer does not report twice.
      const key = $('report-form').dataset.key || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
      $('report-form').dataset.key = key;
      const receipt = await call('/api/v1/public/cases', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, body: JSON.stringify(report) });
      $('report-form').hidden = true;
      $('receipt').hidden = false;
      $('tracking-code').textContent = receipt.trackingCode || '';
      $('code').value = receipt.trackingCode || '';
      show(receipt.case);
    } catch (e) {
      error.textContent = e.message;
    } finally {
      button.disabled = false;
      button.textContent = t('submit');
    }
  });

  function show(c) {
    $('progress').hidden = false;
    $('case-number').textContent = c.number;
    $('case-status').textContent = lang === 'zh' ? c.statusName : c.status;
    const steps = $('steps');
    steps.innerHTML = '';
    for (const step of c.steps) {
      const item = document.createElement('li');
      item.textContent = new Date(step.time).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai' }) + ' ' + (lang === 'zh' ? step.actionName : step.action);
      steps.append(item);
    }
    $('rate-form').hidden = !c.canEvaluate;
    $('rated').hidden = !c.satisfaction;
    if (c.satisfaction) { $('rated').textContent = t('rated') + ' ' + t('s' + c.satisfaction); }
  }

  $('track-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    $('track-error').textContent = '';
    try {
      show(await call('/api/v1/public/cases/' + encodeURIComponent($('code').value.trim())));
    } catch (e) {
      $('progress').hidden = true;
      $('track-error').textContent = e.status === 404 ? t('notFound') : e.message;
    }
  });

  $('rate-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = document.querySelector('#rate-form input[name=satisfaction]:checked');
    if (!chosen) { return; }
    try {
      show(await call('/api/v1/public/cases/' + encodeURIComponent($('code').value.trim()) + '/evaluate', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ satisfaction: Number(chosen.value), comment: $('comment').value.trim() || null })
      }));
    } catch (e) {
      $('track-error').textContent = e.message;
    }
  });

  $('language').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    localStorage.setItem('citybrain.lang', lang);
    applyLanguage();
  });
  applyLanguage();
  const fromLink = new URLSearchParams(window.location.search).get('code');
  if (fromLink) { $('code').value = fromLink; $('track-form').requestSubmit(); }
})();
