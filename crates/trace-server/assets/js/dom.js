// Building DOM nodes without HTML strings: every text goes through textContent, so stored span
// data can never become markup.

/**
 * h('a', {href: '/x', class: 'link', onclick: fn, dataset: {id: 1}}, 'text', child, [more])
 * Attributes: `class`, `style` (object), `dataset` (object), `on<event>` (listener); `null`,
 * `undefined` and `false` are left out; `true` sets an empty attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'style' && typeof value === 'object') {
      for (const [name, v] of Object.entries(value)) {
        if (v === null || v === undefined) continue;
        if (name.startsWith('--')) el.style.setProperty(name, v);
        else el.style[name] = v;
      }
    }
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children: nodes, text (strings, numbers), arrays of them; skips null and false. */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

/** An SVG element (the scatter plot). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** `true` when the keyboard event comes from a text field (shortcuts stay out of the way). */
export function typing(event) {
  const t = event.target;
  return t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName));
}

/** Copies text to the clipboard, with a short confirmation on `button`. */
export async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    if (button) {
      const before = button.textContent;
      button.textContent = '✓';
      setTimeout(() => { button.textContent = before; }, 900);
    }
  } catch {
    window.prompt('Copy:', text);
  }
}

const ICONS = {
  copy: 'M5.5 5.5h7v7h-7z M3.5 10.5v-7h7',
  link: 'M6.5 9.5l3-3 M7 4.5l1.2-1.2a2.5 2.5 0 0 1 3.5 3.5L10.5 8 M9 11.5l-1.2 1.2a2.5 2.5 0 0 1-3.5-3.5L5.5 8',
  collapse: 'M4 6.5l4-3 4 3 M4 12.5l4-3 4 3',
  expand: 'M4 3.5l4 3 4-3 M4 9.5l4 3 4-3',
  download: 'M8 2.5v8 M4.5 7l3.5 3.5L11.5 7 M3 13.5h10',
  path: 'M2 12.5h3l2-8 2 8 2-5h3',
  close: 'M4 4l8 8 M12 4l-8 8',
};

/** A 16-pixel line icon in the current text colour. */
export function icon(name) {
  return svg('svg', { class: 'icon', viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' },
    svg('path', { d: ICONS[name], fill: 'none', stroke: 'currentColor', 'stroke-width': 1.5, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }));
}
