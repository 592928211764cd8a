// The schedule kept live: a GET /v1/schedule snapshot, then socket events applied by seq
// (docs/realtime.md "Keeping a schedule in sync"). Duplicates are dropped; a gap, a
// heartbeat ahead of us or a reconnect calls `sync`; `410 resync_required` (or a new week)
// takes a fresh snapshot. Listeners: rowsFirst() → whether to load the rows on screen first,
// rowsOnScreen(resources) → their ids (or null),
// onPreview(state) → a promise of its painted frame, onReset(state) after a snapshot,
// onChange(kind, after, before) per applied change, onSeq(seq), onConnection(online).
import { io } from "socket.io-client";

const ACK_TIMEOUT = 10_000;
const RESOURCE_PAGE = 200; // the most GET /v1/resources lists at once
const PAINT_WAIT_MS = 1000;

export class LiveSchedule {
  constructor(session, hooks) {
    this.session = session;
    this.hooks = hooks;
    this.window = null;
    this.generation = 0;
    this.buffer = [];
    this.syncing = null;
    this.state = emptyState();
    this.socket = null;
  }

  start() {
    this.socket = io({
      transports: ["websocket", "polling"],
      auth: (cb) => this.session.token().then((token) => cb({ token }), () => cb({})),
    });
    this.socket.onAny((name, event) => {
      if (name !== "heartbeat" && typeof event?.seq === "number") this.receive(event);
    });
    this.socket.on("heartbeat", ({ seq }) => {
      if (this.state.seq !== null && seq > this.state.seq) this.catchUp();
    });
    this.socket.on("connect", () => {
      this.hooks.onConnection(true);
      if (this.state.seq === null) this.snapshot();
      else this.catchUp();
    });
    this.socket.on("disconnect", (reason) => {
      this.hooks.onConnection(false);
      // The server ends sockets whose token expired: renew it, then connect again.
      if (reason === "io server disconnect") {
        this.session.refresh().then(() => this.socket?.connect(), () => {});
      }
    });
    this.socket.on("connect_error", () => this.hooks.onConnection(false));
    this.onToken = (token) => {
      if (this.socket?.connected) {
        this.socket.timeout(ACK_TIMEOUT).emitWithAck("reauth", { token }).catch(() => {});
      }
    };
    this.session.tokenListeners.add(this.onToken);
    this.onOffline = () => this.socket?.disconnect();
    this.onOnline = () => this.socket?.connect();
    window.addEventListener("offline", this.onOffline);
    window.addEventListener("online", this.onOnline);
  }

  stop() {
    this.session.tokenListeners.delete(this.onToken);
    window.removeEventListener("offline", this.onOffline);
    window.removeEventListener("online", this.onOnline);
    this.socket?.disconnect();
    this.socket = null;
    this.generation++;
    this.state = emptyState();
  }

  // Show another window [from, to): events are buffered until its snapshot is in.
  setWindow(from, to) {
    this.window = { from, to };
    this.state.seq = null;
    if (this.socket?.connected) this.snapshot();
  }

  // The window's snapshot. The bookings of the rows on screen come first (which rows: from
  // the resources shown, or at first from their list), in a small answer drawn at once
  // (onPreview, a partial state that buffers events like any state without a seq); the
  // whole window is asked for once that frame is painted, and it alone sets the seq.
  async snapshot() {
    const generation = ++this.generation;
    this.state.seq = null;
    const { from, to } = this.window;
    const started = performance.now();
    performance.mark("schedule-requested");
    let known = this.state.resources;
    if (!known.size && this.hooks.rowsFirst?.()) {
      // The first snapshot: the list of resources (a small answer) says which rows the
      // screen shows. Without it (refused, or more than a page), the whole window comes.
      known = await this.listResources().catch(() => new Map());
      if (generation !== this.generation) return;
    }
    const onScreen = known.size ? this.hooks.rowsOnScreen(known) : null;
    let previewed = false;
    if (onScreen?.length) {
      // A refused preview (a resource gone meanwhile) costs nothing: the whole window follows.
      const body = await this.fetchWindow(from, to, onScreen).catch(() => null);
      if (generation !== this.generation) return; // a newer window or snapshot won
      if (body) {
        const state = this.stateOf(body, new Map(known));
        state.seq = null;
        state.partial = true;
        this.state = state;
        // The whole week once that frame is painted, or after PAINT_WAIT_MS in a tab
        // hidden meanwhile (it paints no frames).
        const waited = new Promise((resolve) => setTimeout(resolve, PAINT_WAIT_MS));
        await Promise.race([this.hooks.onPreview(state, started, performance.now() - started), waited]);
        if (generation !== this.generation) return;
        previewed = true;
      }
    }
    const asked = performance.now();
    let body;
    try {
      body = await this.fetchWindow(from, to);
    } catch (err) {
      if (generation === this.generation) this.hooks.onError(err);
      return;
    }
    if (generation !== this.generation) return;
    const state = this.stateOf(body, new Map());
    this.state = state;
    this.hooks.onReset(state, started, performance.now() - asked, previewed);
    this.hooks.onSeq(state.seq);
    const pending = this.buffer.sort((a, b) => a.seq - b.seq);
    this.buffer = [];
    for (const event of pending) this.receive(event);
    this.catchUp();
  }

  async listResources() {
    const page = await this.session.request("GET", `/v1/resources?limit=${RESOURCE_PAGE}`);
    return new Map(page.next_cursor ? [] : page.items.map((r) => [r.id, r]));
  }

  fetchWindow(from, to, resourceIds) {
    const query = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    if (resourceIds) query.set("resource_ids", resourceIds.join(","));
    return this.session.request("GET", `/v1/schedule?${query}`);
  }

  stateOf(body, resources) {
    const state = emptyState();
    state.projects = this.state.projects; // listed apart, kept across snapshots
    state.seq = body.seq;
    state.resources = resources;
    for (const r of body.resources) resources.set(r.id, r);
    for (const b of body.bookings) state.bookings.set(b.id, b);
    // Holds and time off appear once the schedule lists them.
    if (Array.isArray(body.holds)) state.holds = new Map(body.holds.map((h) => [h.id, h]));
    if (Array.isArray(body.time_off)) state.timeOff = new Map(body.time_off.map((t) => [t.id, t]));
    return state;
  }

  receive(event) {
    if (this.state.seq === null) {
      if (this.buffer.length < 10_000) this.buffer.push(event);
      return;
    }
    if (event.seq <= this.state.seq) return; // a duplicate
    if (event.seq > this.state.seq + 1) {
      this.catchUp(); // a gap: sync fills it in order
      return;
    }
    this.apply(event);
  }

  apply(event) {
    const s = this.state;
    const [kind] = event.type.split(".");
    const data = event.data;
    let before = null;
    if (kind === "booking") {
      before = s.bookings.get(data.id) ?? null;
      s.bookings.set(data.id, data);
    } else if (kind === "resource") {
      before = s.resources.get(data.id) ?? null;
      s.resources.set(data.id, data);
    } else if (kind === "project") {
      before = s.projects.get(data.id) ?? null;
      s.projects.set(data.id, data);
    } else if (kind === "hold") {
      s.holds ??= new Map();
      before = s.holds.get(data.id) ?? null;
      if (event.type === "hold.released") s.holds.delete(data.id);
      else s.holds.set(data.id, data);
    } else if (kind === "time_off") {
      s.timeOff ??= new Map();
      before = s.timeOff.get(data.id) ?? null;
      if (event.type === "time_off.deleted") s.timeOff.delete(data.id);
      else s.timeOff.set(data.id, data);
    }
    s.seq = event.seq;
    this.hooks.onChange(kind, event.type, data, before);
    this.hooks.onSeq(s.seq);
  }

  catchUp() {
    if (this.state.seq === null || !this.socket?.connected) return this.syncing;
    this.syncing ??= (async () => {
      try {
        for (let page = 0; page < 1000; page++) {
          const since = this.state.seq;
          if (since === null) return;
          const reply = await this.socket.timeout(ACK_TIMEOUT).emitWithAck("sync", { since });
          if (reply.error?.code === "resync_required") return await this.snapshot();
          if (reply.error) throw new Error(reply.error.detail);
          for (const event of reply.events) this.receive(event);
          if (!reply.events.length || this.state.seq >= reply.seq) return;
        }
      } catch {
        // a timeout or a lost connection: the next heartbeat or reconnect tries again
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  // A booking the server answered with (an HTTP write): kept unless an event is newer.
  upsertBooking(booking) {
    const current = this.state.bookings.get(booking.id);
    if (current && !current.optimistic && current.version >= booking.version) return;
    this.state.bookings.set(booking.id, booking);
    this.hooks.onChange("booking", "local", booking, current ?? null);
  }

  // Optimistic changes: shown at once, undone by `rollback` if the server refuses.
  setOptimistic(booking) {
    const before = this.state.bookings.get(booking.id) ?? null;
    const shown = { ...booking, optimistic: true };
    this.state.bookings.set(booking.id, shown);
    this.hooks.onChange("booking", "local", shown, before);
    return before;
  }

  rollback(id, before) {
    const current = this.state.bookings.get(id);
    if (current && !current.optimistic) return; // an event already said what is true
    if (before) this.state.bookings.set(id, before);
    else this.state.bookings.delete(id);
    this.hooks.onChange("booking", "local", before, current ?? null);
  }
}

function emptyState() {
  return {
    seq: null,
    resources: new Map(),
    bookings: new Map(),
    projects: new Map(),
    holds: null,
    timeOff: null,
    partial: false, // true: only the rows on screen are loaded (their bookings, holds, time off)
  };
}
