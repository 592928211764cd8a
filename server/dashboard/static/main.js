// The dashboard's entry: sign-in, then the live week schedule.
// window.dashboardMetrics records what the browser tests report: the time from asking for
// a snapshot to its first painted frame, and the time to apply each live change.
import { Actions, atLeast } from "./actions.js";
import { LiveSchedule } from "./live.js";
import { ScheduleView } from "./render.js";
import { ApiError, Session } from "./session.js";
import { DAY_COUNT, addDays, dayBounds, startOfWeek, timeAt } from "./week.js";

const PHONE = window.matchMedia("(max-width: 640px)");
const HOUR = 3_600_000;
// One entry per snapshot drawn: {bookings, fetchMs, renderMs, paintMs, toPaintMs,
// drawnAtPaint, allDrawnMs}, and restFetchMs when the rows on screen came first (then
// fetchMs … drawnAtPaint are theirs).
const metrics = { snapshots: [], applyMs: [] };
window.dashboardMetrics = metrics;

const $ = (id) => document.getElementById(id);
const session = new Session();
let app = null;
window.dashboard = { session, get app() { return app; } }; // for the console and tests

function notify(message, kind = "error") {
  const notice = $("notice");
  notice.textContent = message;
  notice.dataset.kind = kind;
  notice.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => (notice.hidden = true), kind === "error" ? 10_000 : 4000);
}

function setConnection(online) {
  const indicator = document.querySelector("[data-connection]");
  indicator.dataset.connection = online ? "online" : "offline";
  indicator.textContent = online ? "Live" : "Offline";
}

function showLogin() {
  app?.stop();
  app = null;
  setConnection(false);
  $("schedule-view").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
  $("login-view").hidden = false;
  const form = $("login-form");
  if (session.tenant) form.elements.tenant.value = session.tenant;
  form.elements.tenant.focus();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target.elements;
  const error = $("login-error");
  error.textContent = "";
  try {
    await session.login(form.tenant.value.trim(), form.email.value.trim(), form.password.value);
    form.password.value = "";
    showSchedule();
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401
      ? "Tenant, email or password is wrong." : `Sign-in failed: ${err.message}`;
  }
});

$("logout").addEventListener("click", () => session.logout());
session.endListeners.add(showLogin);

class Dashboard {
  constructor() {
    const user = session.user;
    this.names = new Map([[user.id, `${user.name} (you)`]]);
    this.weekStart = startOfWeek(new Date());
    this.view = new ScheduleView($("schedule"), {
      names: this.names, canCreate: atLeast(user.role, "member"),
    });
    this.view.phone = PHONE.matches;
    this.live = new LiveSchedule(session, {
      rowsFirst: () => this.view.loadsRowsFirst(),
      rowsOnScreen: (resources) => this.view.rowsToLoadFirst(resources),
      onPreview: (state, started, fetchMs) => this.reset(state, started, fetchMs),
      onReset: (state, started, fetchMs, previewed) => previewed
        ? this.completed(state, fetchMs) : this.reset(state, started, fetchMs),
      onChange: (kind, type, after, before) => this.changed(kind, after, before),
      onSeq: (seq) => this.view.setSeq(seq),
      onConnection: setConnection,
      onError: (err) => notify(`Could not load the schedule: ${err.message}`),
    });
    this.actions = new Actions({ session, live: this.live, view: this.view, notify });
    this.listeners = [];
    this.wire();
  }

  on(target, type, handler) {
    target.addEventListener(type, handler);
    this.listeners.push(() => target.removeEventListener(type, handler));
  }

  wire() {
    this.on($("prev"), "click", () => this.moveWeek(-7));
    this.on($("next"), "click", () => this.moveWeek(7));
    this.on($("this-week"), "click", () => this.moveWeek(null));
    this.on($("hours"), "change", () => {
      this.view.hours = $("hours").value === "all" ? [0, 24] : [7, 19];
      this.view.setWeek(this.view.bounds);
      this.redraw();
    });
    for (const id of ["kind", "skill"]) {
      this.on($(id), "change", () => {
        this.view.filter[id] = $(id).value;
        this.redraw();
      });
    }
    this.on(PHONE, "change", () => {
      this.view.phone = PHONE.matches;
      if (this.live.state.seq !== null) this.redraw();
    });
    const root = $("schedule");
    this.on(root, "click", (e) => this.clicked(e));
    this.on(root, "keydown", (e) => this.key(e));
    this.on(root, "pointerdown", (e) => this.selectStart(e));
    this.on($("new-booking"), "click", () => this.createAt(null));
    this.tick = setInterval(() => this.view.placeToday(), 60_000);
  }

  start() {
    const user = session.user;
    $("who").textContent = `${user.name} · ${user.role} · ${session.tenant}`;
    $("new-booking").hidden = !atLeast(user.role, "member");
    this.live.start();
    this.moveWeek(0);
    this.loadNames();
  }

  stop() {
    clearInterval(this.tick);
    for (const off of this.listeners) off();
    this.live.stop();
    $("schedule").replaceChildren();
  }

  async loadNames() {
    try {
      const projects = await session.request("GET", "/v1/projects?limit=200");
      for (const p of projects.items) this.live.state.projects.set(p.id, p);
      if (!atLeast(session.user.role, "admin")) return; // only admins may list users
      const users = await session.request("GET", "/v1/users?limit=200");
      for (const u of users.items) if (!this.names.has(u.id)) this.names.set(u.id, u.name);
      if (this.live.state.seq !== null) this.redraw();
    } catch {
      // names are a nicety: bookings still show a short requester id
    }
  }

  moveWeek(days) {
    this.weekStart = days === null ? startOfWeek(new Date()) : addDays(this.weekStart, days);
    const bounds = dayBounds(this.weekStart);
    this.view.setWeek(bounds);
    $("schedule").setAttribute("aria-busy", "true");
    this.live.setWindow(bounds[0], bounds[DAY_COUNT]);
  }

  // A snapshot, or the rows on screen of one: draw it and time its first frame. Resolves
  // once that frame is painted.
  reset(state, started, fetchMs) {
    const t0 = performance.now();
    const entry = { bookings: state.bookings.size, fetchMs, started };
    metrics.snapshots.push(entry);
    this.drawn = entry;
    this.fillFilters(state);
    this.redraw();
    entry.renderMs = performance.now() - t0;
    // A frame callback runs before that frame's style, layout and paint; a task queued from
    // it runs after them.
    return new Promise((resolve) => requestAnimationFrame(() => {
      const frame = performance.now();
      setTimeout(() => {
        entry.paintMs = performance.now() - frame;
        entry.toPaintMs = performance.now() - started;
        performance.mark("schedule-painted");
        entry.drawnAtPaint = this.view.elements.size; // bookings in that frame
        resolve();
      });
    }));
  }

  // The whole snapshot after its rows on screen were drawn: fill in the others.
  completed(state, fetchMs) {
    if (this.drawn) Object.assign(this.drawn, { bookings: state.bookings.size, restFetchMs: fetchMs });
    this.fillFilters(state);
    this.redraw(() => this.view.complete(state));
  }

  // Draw the whole state; the first draw to finish after a snapshot times its last row.
  redraw(draw = () => this.view.render(this.live.state)) {
    draw().then((done) => {
      if (!done || !this.drawn) return;
      this.drawn.allDrawnMs = performance.now() - this.drawn.started;
      performance.mark("schedule-drawn");
      this.drawn = null;
    });
  }

  fillFilters(state) {
    const kinds = new Set();
    const skills = new Set();
    for (const r of state.resources.values()) {
      kinds.add(r.kind);
      r.skills.forEach((s) => skills.add(s));
    }
    for (const [id, values] of [["kind", kinds], ["skill", skills]]) {
      const select = $(id);
      const chosen = select.value;
      select.replaceChildren(new Option("All", ""), ...[...values].sort().map((v) => new Option(v, v)));
      select.value = values.has(chosen) ? chosen : "";
      this.view.filter[id] = select.value;
    }
  }

  changed(kind, after, before) {
    const t0 = performance.now();
    if (kind === "booking") this.view.updateBooking(after, before);
    else if (kind === "resource" || kind === "hold" || kind === "time_off") {
      if (kind === "resource") this.fillFilters(this.live.state);
      this.redraw();
    }
    metrics.applyMs.push(performance.now() - t0);
    if (metrics.applyMs.length > 1000) metrics.applyMs.splice(0, 500);
  }

  clicked(e) {
    const day = e.target.closest("[data-day]");
    if (day) {
      this.view.day = Math.min(DAY_COUNT - 1, Math.max(0, this.view.day + Number(day.dataset.day)));
      this.redraw();
      return;
    }
    const booking = e.target.closest("[data-booking-id]");
    if (booking) this.actions.openBooking(booking.dataset.bookingId);
  }

  key(e) {
    const track = e.target.closest(".track[tabindex]");
    if (!track || e.target !== track || (e.key !== "Enter" && e.key !== " ")) return;
    e.preventDefault();
    this.createAt(track.dataset.row);
  }

  // Keyboard (or the phone's button): the next full hour when that lies in the shown week
  // (the shown day at phone width), else 09:00 of its first day.
  createAt(resourceId) {
    const bounds = this.view.bounds;
    const [from, to] = this.view.phone
      ? [bounds[this.view.day], bounds[this.view.day + 1]] : [bounds[0], bounds[DAY_COUNT]];
    const next = Math.ceil(Date.now() / HOUR) * HOUR;
    const start = next >= from && next + HOUR <= to ? next : new Date(from).setHours(9, 0, 0, 0);
    this.actions.openCreate(resourceId, start, start + HOUR);
  }

  // Select a slot with the pointer: press on a row's free space, drag, release.
  selectStart(e) {
    const track = e.target.closest(".track[tabindex]");
    if (!track || e.target !== track || e.button !== 0) return;
    const box = track.getBoundingClientRect();
    const at = (x) => (x - box.left) / box.width;
    const first = at(e.clientX);
    const band = document.createElement("div");
    band.className = "selecting";
    track.append(band);
    const draw = (x) => {
      const [a, b] = [Math.min(first, at(x)), Math.max(first, at(x))];
      band.style.left = `${a * 100}%`;
      band.style.width = `${Math.max(b - a, 0.002) * 100}%`;
    };
    draw(e.clientX);
    const move = (ev) => draw(ev.clientX);
    const up = (ev) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      band.remove();
      const spans = this.view.spans;
      let start = timeAt(spans, Math.min(first, at(ev.clientX)));
      let end = timeAt(spans, Math.max(first, at(ev.clientX)));
      if (end - start < 30 * 60_000) {
        start = Math.floor(timeAt(spans, first) / HOUR) * HOUR;
        end = start + HOUR;
      }
      this.actions.openCreate(track.dataset.row, start, end);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }
}

function showSchedule() {
  $("login-view").hidden = true;
  $("schedule-view").hidden = false;
  $("logout").hidden = false;
  app = new Dashboard();
  app.start();
}

if (session.user) showSchedule();
else showLogin();
