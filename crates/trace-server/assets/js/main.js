// Entry point: routes on the path (`/` search, `/trace/{id}` a trace), the theme switch and the
// keyboard help. Pages are full page loads; the assets are cached by the browser.

import { h } from './dom.js';
import * as search from './search.js';
import * as trace from './trace.js';

const app = document.getElementById('app');

function setupTheme() {
  const root = document.documentElement;
  const saved = localStorage.getItem('theme');
  if (saved === 'dark' || saved === 'light') root.dataset.theme = saved;
  document.getElementById('theme-toggle')?.addEventListener('click', () => {
    const dark = root.dataset.theme
      ? root.dataset.theme === 'dark'
      : window.matchMedia('(prefers-color-scheme: dark)').matches;
    root.dataset.theme = dark ? 'light' : 'dark';
    localStorage.setItem('theme', root.dataset.theme);
  });
}

function setupHelp(shortcuts) {
  let box = null;
  const toggle = () => {
    if (box) {
      box.remove();
      box = null;
      return;
    }
    box = h('div', { class: 'help', role: 'dialog', 'aria-label': 'Keyboard shortcuts' },
      h('h2', {}, 'Keyboard shortcuts'),
      h('dl', {}, [...shortcuts, ['?', 'show or hide this help']].map(([keys, what]) => [h('dt', {}, keys), h('dd', {}, what)])));
    document.body.append(box);
  };
  document.getElementById('help-toggle')?.addEventListener('click', toggle);
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    if (t instanceof HTMLElement && /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName)) return;
    if (e.key === '?') toggle();
    else if (e.key === 'Escape' && box) toggle();
  });
}

async function route() {
  setupTheme();
  const params = new URLSearchParams(location.search);
  const match = /^\/trace\/([^/]+)\/?$/.exec(location.pathname);
  const nav = document.querySelector('[data-nav="search"]');
  if (match) {
    setupHelp(trace.SHORTCUTS);
    await trace.showTrace(app, decodeURIComponent(match[1]), params);
  } else {
    nav?.setAttribute('aria-current', 'page');
    setupHelp(search.SHORTCUTS);
    await search.showSearch(app, params);
  }
}

route().catch((e) => {
  app.dataset.state = 'error';
  app.replaceChildren(h('div', { class: 'notice error', role: 'alert', style: { margin: '20px' } }, `Something went wrong: ${e.message}`));
  console.error(e);
});
