// A virtualised list of fixed-height rows: only the rows in view (and a few either side) exist
// in the DOM, so a trace of 10,000 spans scrolls as lightly as one of ten.

const OVERSCAN = 8;

export class VirtualRows {
  /**
   * @param viewport the scrolling element
   * @param rowHeight pixels per row
   * @param renderRow (index) => element for that row
   */
  constructor(viewport, rowHeight, renderRow) {
    this.viewport = viewport;
    this.rowHeight = rowHeight;
    this.renderRow = renderRow;
    this.count = 0;
    this.canvas = document.createElement('div');
    this.canvas.className = 'rows-canvas';
    this.window = document.createElement('div');
    this.window.className = 'rows-window';
    this.window.setAttribute('role', 'group');
    this.canvas.appendChild(this.window);
    viewport.appendChild(this.canvas);
    this.first = -1;
    this.last = -1;
    this.frame = 0;
    viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.resizeObserver = new ResizeObserver(() => this.schedule());
    this.resizeObserver.observe(viewport);
  }

  /** Sets the number of rows and redraws. */
  setCount(count) {
    this.count = count;
    this.canvas.style.height = `${count * this.rowHeight}px`;
    this.canvas.dataset.totalRows = String(count);
    this.render(true);
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render(false);
    });
  }

  /** Draws the rows in view; `force` redraws even when the range did not change. */
  render(force) {
    const height = this.viewport.clientHeight || window.innerHeight;
    const top = this.viewport.scrollTop;
    const first = Math.max(0, Math.floor(top / this.rowHeight) - OVERSCAN);
    const last = Math.min(this.count, Math.ceil((top + height) / this.rowHeight) + OVERSCAN);
    if (!force && first === this.first && last === this.last) return;
    this.first = first;
    this.last = last;
    const rows = [];
    for (let i = first; i < last; i++) rows.push(this.renderRow(i));
    this.window.replaceChildren(...rows);
    this.window.style.transform = `translateY(${first * this.rowHeight}px)`;
  }

  /** Scrolls so row `index` is in view (centred when it was far away). */
  reveal(index) {
    const top = index * this.rowHeight;
    const height = this.viewport.clientHeight || window.innerHeight;
    const view = this.viewport.scrollTop;
    if (top < view || top + this.rowHeight > view + height) {
      this.viewport.scrollTop = Math.max(0, top - height / 2 + this.rowHeight / 2);
    }
    this.render(true);
  }
}
