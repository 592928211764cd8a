// Drawing: the week grid (resources as rows, days as columns) or, at phone width, a list
// of one day's bookings. Every drawn booking carries data-booking-id, data-status and
// data-resource-id; the root carries data-seq. A snapshot is drawn as one HTML string;
// a change redraws only the bookings it touches.
import {
  DAY_COUNT, daySpans, formatClock, formatDay, formatRange, formatStamp, fractionAt,
} from "./week.js";

const BLOCKING = new Set(["pending", "confirmed", "completed"]);
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
const pct = (x) => `${(x * 100).toFixed(3)}%`;
// A row's height in rem, as --row-h in dashboard.css: the rows a screen can show are drawn
// with the first frame, the bookings of the others follow in slices of SLICE_MS between
// frames, starting after that frame.
const ROW_REM = 2.6;
const SLICE_MS = 8;

// What a partial drawing and the whole state must agree on to keep the drawn rows.
const rowsKey = (resources) =>
  resources.map((r) => `${r.id}\t${r.name}\t${r.kind}\t${r.is_active}`).join("\n");

export class ScheduleView {
  constructor(root, { names, canCreate }) {
    this.root = root;
    this.names = names; // user id -> display name
    this.canCreate = canCreate;
    this.bounds = null; // the 8 local midnights of the week
    this.spans = null; // the shown hours of each day
    this.hours = [7, 19];
    this.state = null;
    this.filter = { kind: "", skill: "" };
    this.phone = false;
    this.day = 0;
    this.elements = new Map(); // booking id -> element
    this.waiting = new Map(); // resource id -> booking ids of a row not drawn yet
    this.drawnRows = null; // a partial state's drawn rows: {key, inner: row id -> HTML}
    this.drawing = 0; // bumps on every render: a stale fill stops
  }

  setWeek(bounds) {
    this.bounds = bounds;
    this.spans = daySpans(new Date(bounds[0]), ...this.hours);
    const today = Date.now();
    this.day = today >= bounds[0] && today < bounds[DAY_COUNT]
      ? bounds.findIndex((b, i) => today >= b && today < bounds[i + 1]) : 0;
    document.getElementById("range").textContent = formatRange(bounds);
  }

  visibleResources(resources = this.state.resources) {
    const { kind, skill } = this.filter;
    return [...resources.values()]
      .filter((r) => (!kind || r.kind === kind) && (!skill || r.skills.includes(skill)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  inWeek(item) {
    const start = Date.parse(item.start);
    const end = Date.parse(item.end);
    return end > this.bounds[0] && start < this.bounds[DAY_COUNT];
  }

  // Draw everything; resolves true once the last row's bookings are in the page, false if
  // another drawing replaced this one or the state is partial (`complete` fills it in).
  render(state) {
    this.state = state;
    this.root.setAttribute("aria-busy", "false");
    this.elements.clear();
    this.waiting.clear();
    this.drawnRows = null;
    const drawing = ++this.drawing;
    this.root.innerHTML = this.phone ? this.listHtml() : this.gridHtml();
    this.collect(this.root);
    this.placeToday();
    return state.partial ? Promise.resolve(false) : this.fillWaiting(drawing);
  }

  // The whole state after a partial one (the rows on screen) was drawn: the same rows in
  // the same order keep their elements; a drawn row whose content changed meanwhile is
  // redrawn, the others are filled in slices. Anything else draws everything again.
  complete(state) {
    const drawn = this.drawnRows;
    this.state = state;
    const resources = this.visibleResources();
    if (this.phone || !drawn || drawn.key !== rowsKey(resources)) return this.render(state);
    this.drawnRows = null;
    this.waiting.clear();
    const drawing = ++this.drawing;
    const { bands, booked } = this.byRow();
    const above = []; // rows above the screen: filled after those below it
    let below = false;
    for (const r of resources) {
      const ids = booked.get(r.id) ?? [];
      const html = drawn.inner.get(r.id);
      if (html === undefined) {
        const band = bands.get(r.id);
        if (band) this.track(r.id)?.insertAdjacentHTML("afterbegin", band);
        if (ids.length && below) this.waiting.set(r.id, ids);
        else if (ids.length) above.push([r.id, ids]);
        continue;
      }
      below = true;
      const inner = (bands.get(r.id) ?? "") + this.rowHtml(r.id, ids);
      if (inner === html) continue;
      const track = this.track(r.id);
      for (const el of track.querySelectorAll("[data-booking-id]")) this.elements.delete(el.dataset.bookingId);
      track.innerHTML = inner;
      this.collect(track);
    }
    for (const [rid, ids] of above) this.waiting.set(rid, ids);
    return this.fillWaiting(drawing);
  }

  collect(parent) {
    for (const el of parent.querySelectorAll("[data-booking-id]")) {
      this.elements.set(el.dataset.bookingId, el);
    }
  }

  fillWaiting(drawing) {
    return new Promise((resolve) => {
      const slice = () => {
        if (drawing !== this.drawing) return resolve(false);
        const started = performance.now();
        for (const [rid, ids] of this.waiting) {
          if (performance.now() - started > SLICE_MS) return setTimeout(slice);
          this.waiting.delete(rid);
          const track = this.track(rid);
          if (!track) continue;
          track.insertAdjacentHTML("beforeend", this.rowHtml(rid, ids));
          this.collect(track);
        }
        resolve(true);
      };
      // After the first frame: a slice run before it would delay it and add to its layout.
      if (this.waiting.size) requestAnimationFrame(() => setTimeout(slice));
      else resolve(true);
    });
  }

  rowHtml(rid, ids) {
    const html = [];
    for (const id of new Set(ids)) {
      const b = this.state.bookings.get(id);
      if (b && b.resource_id === rid && this.inWeek(b)) html.push(this.bookingHtml(b));
    }
    return html.join("");
  }

  track(rid) {
    return this.root.querySelector(`.track[data-row="${CSS.escape(rid)}"]`);
  }

  // Each row's holds and time off (one HTML string) and booking ids in the week.
  byRow() {
    const bands = new Map();
    const add = (rid, html) => bands.set(rid, (bands.get(rid) ?? "") + html);
    for (const off of this.state.timeOff?.values() ?? []) {
      if (this.inWeek(off)) add(off.resource_id, this.bandHtml(off, "off", "Time off"));
    }
    for (const hold of this.state.holds?.values() ?? []) {
      if (this.inWeek(hold)) add(hold.resource_id, this.bandHtml(hold, "hold", "Hold"));
    }
    const booked = new Map();
    for (const b of this.state.bookings.values()) {
      if (!this.inWeek(b)) continue;
      if (!booked.has(b.resource_id)) booked.set(b.resource_id, []);
      booked.get(b.resource_id).push(b.id);
    }
    return { bands, booked };
  }

  // The rows on screen are drawn in full; the bookings of the others wait for slices
  // (those below the screen first), or, in a partial state, for `complete`.
  gridHtml() {
    const days = [];
    for (let i = 0; i < DAY_COUNT; i++) {
      const today = Date.now() >= this.bounds[i] && Date.now() < this.bounds[i + 1];
      days.push(`<div class="day${today ? " is-today" : ""}" role="columnheader">`
        + `${esc(formatDay(this.bounds[i]))}<small>${this.hoursLabel()}</small></div>`);
    }
    const { bands, booked } = this.byRow();
    const resources = this.visibleResources();
    const [first, last] = this.rowsOnScreen();
    const drawn = new Map(); // row id -> the HTML drawn in its track
    const above = []; // filled after the rows below the screen
    const rows = resources.map((r, index) => {
      const ids = booked.get(r.id) ?? [];
      let inner = bands.get(r.id) ?? "";
      if (index >= first && index < last) {
        inner += this.rowHtml(r.id, ids);
        drawn.set(r.id, inner);
      } else if (ids.length && index < first) above.push([r.id, ids]);
      else if (ids.length) this.waiting.set(r.id, ids);
      const label = `${r.name} (${r.kind})`;
      const track = this.canCreate
        ? `tabindex="0" aria-label="${esc(label)}: press Enter to book"` : `aria-label="${esc(label)}"`;
      return `<div class="row" role="row"><div class="res" role="rowheader"><span>${esc(r.name)}</span>`
        + `<small>${esc(r.kind)}${r.is_active ? "" : " · inactive"}</small></div>`
        + `<div class="track" role="gridcell" data-row="${esc(r.id)}" ${track}>${inner}</div></div>`;
    });
    for (const [rid, ids] of above) this.waiting.set(rid, ids);
    if (this.state.partial) this.drawnRows = { key: rowsKey(resources), inner: drawn };
    const empty = rows.length ? "" : `<p class="empty">No resources match.</p>`;
    return `<div class="grid" role="grid" aria-label="Week schedule">`
      + `<div class="row head" role="row"><div class="res" role="columnheader">Resource</div>`
      + `<div class="days">${days.join("")}</div></div>`
      + `<div class="rows"><div class="lines" aria-hidden="true"></div>${rows.join("")}`
      + `<div class="today" aria-hidden="true"></div></div>`
      + `${empty}</div>`;
  }

  // Whether the rows on screen are worth loading first: not in the day list (it shows
  // every row), nor in a hidden tab (the rest is asked for after a painted frame, and a
  // hidden tab paints none).
  loadsRowsFirst() {
    return !this.phone && !document.hidden;
  }

  // The ids of the rows on screen, to load first, when there are more rows than that;
  // else null.
  rowsToLoadFirst(resources) {
    if (!this.loadsRowsFirst()) return null;
    const rows = this.visibleResources(resources);
    const [first, last] = this.rowsOnScreen();
    return rows.length > last - first ? rows.slice(first, last).map((r) => r.id) : null;
  }

  // The indexes [first, last) of the rows that can be on screen (one more, for rounding),
  // from where the grid starts in the viewport (read before the grid is written: no
  // forced layout of a changed page) and a row's height.
  rowsOnScreen() {
    const row = ROW_REM * parseFloat(getComputedStyle(document.documentElement).fontSize);
    const top = this.root.getBoundingClientRect().top;
    const first = Math.max(0, Math.floor(-top / row));
    return [first, first + Math.ceil((window.innerHeight - Math.max(top, 0)) / row) + 1];
  }

  hoursLabel() {
    const [from, to] = this.hours;
    return to - from >= 24 ? "" : ` ${String(from).padStart(2, "0")}–${to}h`;
  }

  bandHtml(item, cls, label) {
    const left = fractionAt(this.spans, Date.parse(item.start));
    const right = fractionAt(this.spans, Date.parse(item.end));
    const when = `${formatStamp(Date.parse(item.start))} – ${formatStamp(Date.parse(item.end))}`;
    const what = item.reason ? `${label}: ${item.reason}` : label;
    return `<div class="${cls}" style="left:${pct(left)};width:${pct(right - left)}"`
      + ` title="${esc(`${what}, ${when}`)}" data-${cls === "off" ? "time-off" : "hold"}-id="${esc(item.id)}"></div>`;
  }

  label(b) {
    const number = b.number == null ? "new" : `#${b.number}`;
    const who = this.names.get(b.requester_id) ?? `user ${String(b.requester_id).slice(0, 4)}`;
    return { number, title: b.title || "(untitled)", who };
  }

  classes(b) {
    let cls = `bk s-${b.status}`;
    if (!BLOCKING.has(b.status)) cls += " ended";
    if (b.status === "pending" && b.escalated_at) cls += " escalated";
    if (b.optimistic) cls += " saving";
    return cls;
  }

  bookingHtml(b) {
    const left = fractionAt(this.spans, Date.parse(b.start));
    const right = fractionAt(this.spans, Date.parse(b.end));
    const { number, title, who } = this.label(b);
    const when = `${formatStamp(Date.parse(b.start))} – ${formatClock(Date.parse(b.end))}`;
    const flag = b.status === "pending" && b.escalated_at ? "⚠ " : "";
    return `<button type="button" class="${this.classes(b)}" style="left:${pct(left)};width:${pct(right - left)}"`
      + ` data-booking-id="${esc(b.id)}" data-status="${esc(b.status)}" data-resource-id="${esc(b.resource_id)}"`
      + ` title="${esc(`${b.status}, ${when}`)}">`
      + `${flag}<b>${esc(number)}</b> ${esc(title)} <i>${esc(who)}</i></button>`;
  }

  listHtml() {
    const from = this.bounds[this.day];
    const to = this.bounds[this.day + 1];
    const shown = new Set(this.visibleResources().map((r) => r.id));
    const items = [...this.state.bookings.values()]
      .filter((b) => shown.has(b.resource_id) && Date.parse(b.end) > from && Date.parse(b.start) < to)
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    const lis = items.map((b) => `<li>${this.listItemHtml(b)}</li>`);
    return `<div class="daylist"><div class="daynav">`
      + `<button type="button" data-day="-1" aria-label="Previous day" ${this.day === 0 ? "disabled" : ""}>‹</button>`
      + `<h3>${esc(formatDay(from))}</h3>`
      + `<button type="button" data-day="1" aria-label="Next day" ${this.day === DAY_COUNT - 1 ? "disabled" : ""}>›</button></div>`
      + (lis.length ? `<ol>${lis.join("")}</ol>` : `<p class="empty">No bookings this day.</p>`) + `</div>`;
  }

  listItemHtml(b) {
    const { number, title, who } = this.label(b);
    const resource = this.state.resources.get(b.resource_id)?.name ?? "";
    return `<button type="button" class="${this.classes(b)}" data-booking-id="${esc(b.id)}" data-status="${esc(b.status)}"`
      + ` data-resource-id="${esc(b.resource_id)}"><span class="when">${esc(formatClock(Date.parse(b.start)))}–`
      + `${esc(formatClock(Date.parse(b.end)))}</span> <b>${esc(number)}</b> ${esc(title)}`
      + ` <span>${esc(resource)} · ${esc(who)} · ${esc(b.status)}</span></button>`;
  }

  // One booking changed (an event, or a local optimistic change): redraw only it.
  updateBooking(after, before) {
    if (this.phone) return this.render(this.state);
    const id = after?.id ?? before?.id;
    this.elements.get(id)?.remove();
    this.elements.delete(id);
    if (!after || !this.inWeek(after)) return;
    // A row a partial state left empty is drawn from the whole week, which has it (or an
    // event after it does).
    if (this.state.partial && !this.drawnRows?.inner.has(after.resource_id)) return;
    const waiting = this.waiting.get(after.resource_id);
    if (waiting) return waiting.push(id); // its row is drawn in a moment, from the state
    const track = this.track(after.resource_id);
    if (!track) return;
    track.insertAdjacentHTML("beforeend", this.bookingHtml(after));
    this.elements.set(id, track.lastElementChild);
  }

  setSeq(seq) {
    this.root.dataset.seq = String(seq);
  }

  placeToday() {
    const line = this.root.querySelector(".today");
    if (!line) return;
    const now = Date.now();
    const inside = this.spans.some(([open, close]) => now >= open && now < close);
    line.hidden = !inside;
    if (inside) line.style.setProperty("--at", String(fractionAt(this.spans, now)));
  }

  highlight(ids) {
    for (const el of this.root.querySelectorAll(".conflict")) el.classList.remove("conflict");
    let first = null;
    for (const id of ids) {
      const el = this.elements.get(id);
      if (!el) continue;
      el.classList.add("conflict");
      first ??= el;
    }
    first?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
}
