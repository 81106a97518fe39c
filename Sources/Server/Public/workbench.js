// The case workbench for dispatchers, departments, grid workers and supervisors: queues, the case
// with its clocks, timeline and photos, and the steps the signed-in account may take now.
(function () {
  'use strict';
  const texts = {
    zh: { title: '案件工作台', logout: '退出', loginTitle: '登录城市大脑', username: '用户名', password: '密码', login: '登录', lang: 'English',
      qReported: '待立案', qRegistered: '待派遣', qMine: '待处置', qHandled: '待核查', qOverdue: '超期', pick: '从左侧队列选择一个案件。',
      empty: '队列为空。', status: '状态', className: '类别', description: '描述', place: '位置', reporter: '上报人', department: '主办部门',
      due: '时限', timeline: '处理过程', photos: '照片', note: '说明', reason: '原因', into: '并入案件编号', classCode: '案件类别',
      urgency: '紧急程度', normal: '一般', urgent: '紧急', assisting: '协办部门', limit: '延长时限（如 4h、2d）', approved: '批准延期',
      passed: '核查通过', satisfaction: '满意度（1–5）', submit: '确定', conflict: '案件已被他人处理，已刷新，请重新确认。', done: '已完成：' },
    en: { title: 'Case workbench', logout: 'Sign out', loginTitle: 'Sign in to CityBrain', username: 'User name', password: 'Password', login: 'Sign in', lang: '中文',
      qReported: 'To register', qRegistered: 'To dispatch', qMine: 'To handle', qHandled: 'To re-inspect', qOverdue: 'Overdue', pick: 'Pick a case from a queue.',
      empty: 'The queue is empty.', status: 'Status', className: 'Class', description: 'Description', place: 'Place', reporter: 'Reported by', department: 'Lead department',
      due: 'Deadlines', timeline: 'Timeline', photos: 'Photos', note: 'Note', reason: 'Reason', into: 'Merge into case', classCode: 'Class',
      urgency: 'Urgency', normal: 'Normal', urgent: 'Urgent', assisting: 'Assisting departments', limit: 'Extra time (e.g. 4h, 2d)', approved: 'Approve',
      passed: 'Passed', satisfaction: 'Satisfaction (1–5)', submit: 'Confirm', conflict: 'Someone else changed the case; it was reloaded — please check again.', done: 'Done: ' }
  };
  const stepNames = {
    zh: { register: '立案', reject: '不予立案', merge: '并单', dispatch: '派遣', accept: '签收', return: '退回', 'request-extension': '申请延期',
      'decide-extension': '延期审批', suspend: '挂起', resume: '恢复', 'complete-task': '协办完成', 'report-handled': '处置反馈', inspect: '核查',
      evaluate: '评价', remind: '督办', handle: '处置' },
    en: {}
  };
  const { request, element, $ } = window.CityBrain;
  let session = null;
  let queue = 'reported';
  let classes = [];
  let departments = [];
  const language = window.CityBrain.language(texts, () => {
    if ($('case').dataset.number) { openCase($('case').dataset.number); }
    loadQueue(queue);
  });
  const t = language.t;
  const stepName = (action) => (stepNames[language.current()] && stepNames[language.current()][action]) || action;
  const localTime = (at) => new Date(at).toLocaleString(language.current() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai' });

  const queries = {
    reported: 'status=reported', registered: 'status=registered', handled: 'status=handled', overdue: 'overdue=true',
    mine: 'status=dispatched,handling'
  };

  async function loadQueue(name) {
    queue = name;
    document.querySelectorAll('#queues button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.queue === name)));
    const list = $('list');
    list.innerHTML = '';
    try {
      const page = await request('/api/v1/cases?limit=100&' + queries[name]);
      if (!page.items.length) { list.append(element('p', t('empty'), 'hint')); }
      for (const c of page.items) {
        const button = element('button', null, c.alert || '');
        button.type = 'button';
        button.dataset.number = c.number;
        button.append(element('strong', (c.className || '—') + ' · ' + c.statusName), element('small', c.number), element('small', c.description));
        button.addEventListener('click', () => openCase(c.number));
        list.append(button);
      }
    } catch (e) {
      list.append(element('p', e.message, 'error'));
    }
  }

  async function openCase(number, message) {
    const [c, timeline] = await Promise.all([request('/api/v1/cases/' + number), request('/api/v1/cases/' + number + '/timeline')]);
    const box = $('case');
    box.innerHTML = '';
    box.dataset.number = c.number;
    box.dataset.version = String(c.version);
    const title = element('h2', c.number + ' ');
    if (c.alert) { title.append(element('span', c.alert, 'badge ' + c.alert)); }
    box.append(title);
    if (message) { box.append(element('p', message, message === t('conflict') ? 'error' : 'hint')); }
    const facts = element('dl');
    const fact = (label, value) => { if (value) { facts.append(element('dt', t(label)), element('dd', value)); } };
    fact('status', c.statusName);
    fact('className', c.classCode ? c.classCode + ' ' + (c.className || '') : null);
    fact('description', c.description);
    fact('place', (c.addressText || '') + ' ' + c.gridCode);
    fact('reporter', c.reporter + (c.contactPhone ? ' ' + c.contactPhone : ''));
    const departmentName = (code) => (departments.find((d) => d.code === code) || { name: code }).name;
    fact('department', c.department ? departmentName(c.department) : null);
    fact('due', Object.entries(c.due).map(([step, at]) => stepName(step) + ' ' + localTime(at)).join('；'));
    box.append(facts);
    const actions = element('div', null, 'actions');
    for (const action of c.allowedActions) {
      const button = element('button', stepName(action));
      button.type = 'button';
      button.dataset.action = action;
      button.addEventListener('click', () => showStep(c, action));
      actions.append(button);
    }
    box.append(actions, element('div', null), element('h3', t('timeline')));
    const steps = element('ol', null);
    steps.id = 'timeline';
    const photos = element('div');
    for (const e of timeline.events) {
      steps.append(element('li', localTime(e.time) + ' ' + (language.current() === 'zh' ? e.actionName : e.action) + ' · ' + e.actor + (e.note ? ' · ' + e.note : '')));
      for (const hash of e.attachments) {
        const img = element('img');
        img.src = '/api/v1/attachments/' + hash;
        img.alt = t('photos');
        photos.append(img);
      }
    }
    box.append(steps);
    if (photos.childElementCount) { box.append(element('h3', t('photos')), photos); }
  }

  function field(form, name, label, input) {
    const id = 'step-' + name;
    input.id = id;
    input.name = name;
    const l = element('label', t(label));
    l.htmlFor = id;
    form.append(l, input);
    return input;
  }

  function select(options, chosen, multiple) {
    const s = element('select');
    // Multiple before the options: a single select would pick the first one by itself.
    s.multiple = Boolean(multiple);
    for (const [value, label] of options) {
      const o = element('option', label);
      o.value = value;
      if (value === chosen) { o.selected = true; }
      s.append(o);
    }
    return s;
  }

  function showStep(c, action) {
    const holder = $('case').querySelector('.actions').nextElementSibling;
    holder.innerHTML = '';
    const form = element('form');
    form.id = 'step-form';
    form.dataset.action = action;
    form.append(element('strong', stepName(action)));
    const body = { version: c.version };
    const inputs = {};
    if (action === 'register') {
      inputs.classCode = field(form, 'classCode', 'classCode', select(classes.filter((k) => !k.major && k.active).map((k) => [k.code, k.code + ' ' + k.name]), c.classCode));
      inputs.urgency = field(form, 'urgency', 'urgency', select([['normal', t('normal')], ['urgent', t('urgent')]], c.urgency));
    }
    if (action === 'dispatch') {
      inputs.department = field(form, 'department', 'department', select(departments.map((d) => [d.code, d.name]), c.proposedDepartments[0]));
      const assisting = select(departments.map((d) => [d.code, d.name]), null, true);
      inputs.assisting = field(form, 'assisting', 'assisting', assisting);
    }
    if (['reject', 'return', 'request-extension', 'suspend'].includes(action)) { inputs.reason = field(form, 'reason', 'reason', element('input')); }
    if (action === 'merge') { inputs.into = field(form, 'into', 'into', element('input')); }
    if (action === 'request-extension') { inputs.limit = field(form, 'limit', 'limit', element('input')); }
    if (action === 'decide-extension') { const box = element('input'); box.type = 'checkbox'; box.checked = true; inputs.approved = field(form, 'approved', 'approved', box); }
    if (action === 'inspect') { const box = element('input'); box.type = 'checkbox'; box.checked = true; inputs.passed = field(form, 'passed', 'passed', box); }
    if (action === 'evaluate') { const n = element('input'); n.type = 'number'; n.min = 1; n.max = 5; n.value = 5; inputs.satisfaction = field(form, 'satisfaction', 'satisfaction', n); }
    inputs.note = field(form, 'note', 'note', element('textarea'));
    const error = element('p', null, 'error');
    error.setAttribute('role', 'alert');
    const submit = element('button', t('submit'));
    submit.type = 'submit';
    form.append(error, submit);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      for (const [name, input] of Object.entries(inputs)) {
        if (input.type === 'checkbox') { body[name] = input.checked; } else if (input.multiple) {
          body[name] = Array.from(input.selectedOptions).map((o) => o.value);
        } else if (input.type === 'number') { body[name] = Number(input.value); } else if (input.value.trim()) { body[name] = input.value.trim(); }
      }
      if (c.department && action === 'complete-task' && session.department) { body.department = session.department; }
      try {
        await request('/api/v1/cases/' + c.number + '/' + action, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        await openCase(c.number, t('done') + stepName(action));
        loadQueue(queue);
      } catch (e) {
        if (e.status === 409 && e.problem && e.problem.currentVersion !== undefined) {
          await openCase(c.number, t('conflict'));
          loadQueue(queue);
        } else {
          error.textContent = e.message;
        }
      }
    });
    holder.append(form);
    const first = form.querySelector('select, input, textarea');
    if (first) { first.focus(); }
  }

  async function start() {
    language.apply();
    session = await window.CityBrain.session();
    if (!session) { return; }
    $('who').textContent = session.username;
    $('who').hidden = false;
    [classes, departments] = await Promise.all([request('/api/v1/case-classes').then((b) => b.items), request('/api/v1/departments').then((b) => b.items)]);
    // A department's people start with their own work; the command centre with new reports.
    loadQueue(session.department ? 'mine' : queue);
    const linked = new URLSearchParams(location.hash.slice(1)).get('case');
    if (linked) { openCase(linked); }
    listen();
  }

  // Live updates: the queue reloads when a case the account may see changes (bursts coalesced);
  // the open case reloads when someone else moved it.
  let live = null;
  let reloadTimer = null;
  function listen() {
    if (live) { return; }
    live = window.CityBrain.live((notice) => {
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => loadQueue(queue), 800);
      const open = $('case').dataset;
      if (open.number === notice.number && open.version && Number(open.version) < notice.version && !$('case').querySelector('form')) {
        openCase(notice.number);
      }
    }, (s) => { document.body.dataset.live = s; });
  }

  document.querySelectorAll('#queues button').forEach((b) => b.addEventListener('click', () => loadQueue(b.dataset.queue)));
  window.CityBrain.bindSignIn(start);
  start().catch((e) => { $('case').append(element('p', e.message, 'error')); });
})();
