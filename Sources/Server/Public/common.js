// Shared by the staff pages (workbench, grid worker): API calls with the session's CSRF token and
// problem details turned into messages, the sign-in overlay, logout, and the language switch.
window.CityBrain = (function () {
  'use strict';
  let csrfToken = null;
  const $ = (id) => document.getElementById(id);

  // The sign-in overlay every staff page shares (its texts follow the page's language switch).
  if (!$('login')) {
    document.body.insertAdjacentHTML('afterbegin', `
<div id="login" class="overlay" hidden>
  <form id="login-form" class="dialog" aria-labelledby="login-title">
    <h2 id="login-title" data-i18n="loginTitle">登录城市大脑</h2>
    <label for="login-username" data-i18n="username">用户名</label>
    <input id="login-username" name="username" autocomplete="username" required>
    <label for="login-password" data-i18n="password">密码</label>
    <input id="login-password" name="password" type="password" autocomplete="current-password" required>
    <p id="login-error" class="error" role="alert"></p>
    <button type="submit" data-i18n="login">登录</button>
  </form>
</div>`);
  }

  async function request(url, options) {
    // Refusals come back in the page's language.
    const pageLanguage = localStorage.getItem('citybrain.lang') === 'en' ? 'en' : 'zh-CN';
    const headers = Object.assign({ Accept: 'application/json', 'Accept-Language': pageLanguage }, (options && options.headers) || {});
    if (options && options.method && options.method !== 'GET' && csrfToken) { headers['X-CSRF-Token'] = csrfToken; }
    const response = await fetch(url, Object.assign({}, options, { headers, credentials: 'same-origin' }));
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.status === 401 && !url.endsWith('/session')) { $('login').hidden = false; }
    if (!response.ok) {
      const first = body && body.errors && body.errors[0];
      const error = new Error(first ? first.field + ': ' + first.reason : (body && body.detail) || response.statusText);
      error.status = response.status;
      error.problem = body;
      throw error;
    }
    return body;
  }

  function element(tag, text, className) {
    const el = document.createElement(tag);
    if (text !== undefined && text !== null) { el.textContent = text; }
    if (className) { el.className = className; }
    return el;
  }

  // texts: { zh: {…}, en: {…} }, each with a `lang` entry naming the other language.
  function language(texts, onChange) {
    let lang = localStorage.getItem('citybrain.lang') || 'zh';
    const t = (key) => texts[lang][key] || key;
    function apply() {
      document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
      document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
      $('language').textContent = t('lang');
    }
    $('language').addEventListener('click', () => {
      lang = lang === 'zh' ? 'en' : 'zh';
      localStorage.setItem('citybrain.lang', lang);
      apply();
      if (onChange) { onChange(); }
    });
    return { t, apply, current: () => lang };
  }

  // The signed-in session (its CSRF token kept for writes), or null with the sign-in overlay shown.
  async function session() {
    try {
      const s = await request('/api/v1/session');
      csrfToken = s.csrfToken;
      $('login').hidden = true;
      $('logout').hidden = false;
      return s;
    } catch (e) {
      if (e.status === 401) { $('login').hidden = false; $('login-username').focus(); return null; }
      throw e;
    }
  }

  // Sign-in and logout; `start` runs again once signed in.
  function bindSignIn(start) {
    $('login-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      $('login-error').textContent = '';
      try {
        await request('/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: $('login-username').value, password: $('login-password').value }) });
        $('login-password').value = '';
        await start();
      } catch (e) {
        $('login-error').textContent = e.message;
      }
    });
    $('logout').addEventListener('click', async () => {
      await request('/api/v1/session', { method: 'DELETE' }).catch(() => {});
      window.location.reload();
    });
  }

  // The live event stream (Server-Sent Events): `onCase(notice)` for every case change the account
  // may see, `onState('open' | 'connecting' | 'closed')`. Closed when the page is hidden (a page in
  // the back-forward cache would otherwise hold one of the browser's six connections to the server)
  // and opened again when it comes back.
  function live(onCase, onState) {
    let source = null;
    const state = (s) => { if (onState) { onState(s); } };
    function open() {
      if (source) { return; }
      state('connecting');
      source = new EventSource('/api/v1/events');
      source.onopen = () => state('open');
      source.onerror = () => state(source && source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
      source.addEventListener('case', (event) => onCase(JSON.parse(event.data)));
    }
    function close() {
      if (source) { source.close(); source = null; }
    }
    window.addEventListener('pagehide', close);
    window.addEventListener('pageshow', (event) => { if (event.persisted) { open(); } });
    open();
    return { close };
  }

  // Map tooltips take an element, never a string: Leaflet puts strings in as HTML, and region,
  // class and layer names come from imports and administrators. One line per argument.
  function tooltip(...lines) {
    const box = document.createElement('span');
    lines.forEach((line, i) => {
      if (i > 0) { box.appendChild(document.createElement('br')); }
      box.appendChild(document.createTextNode(line === undefined || line === null ? '' : String(line)));
    });
    return box;
  }

  return { request, element, language, session, bindSignIn, live, tooltip, $ };
})();
