// What a user may do, by role: create a booking from a selected slot (or the keyboard),
// approve / reject / cancel / complete / assign from a booking's dialog. Every change is
// shown at once and rolled back if the server refuses it.
import { ApiError } from "./session.js";
import { formatStamp, localInput } from "./week.js";

const RANK = { viewer: 0, member: 1, manager: 2, admin: 3 };
const TARGET = { approve: "confirmed", reject: "rejected", cancel: "cancelled", complete: "completed" };
const LABEL = { approve: "Approve", reject: "Reject", cancel: "Cancel booking", complete: "Complete", assign: "Move" };

export const atLeast = (role, wanted) => (RANK[role] ?? -1) >= RANK[wanted];

export function allowedActions(user, b) {
  const manager = atLeast(user.role, "manager");
  const own = b.requester_id === user.id && atLeast(user.role, "member");
  const actions = [];
  if (manager && b.status === "pending") actions.push("approve", "reject");
  if (manager && b.status === "confirmed") actions.push("complete");
  if ((manager || own) && (b.status === "pending" || b.status === "confirmed")) actions.push("cancel");
  if (manager && (b.status === "pending" || b.status === "confirmed")) actions.push("assign");
  return actions;
}

function describe(err) {
  const p = err instanceof ApiError ? err.problem : {};
  if (p.code === "booking_conflict" && Array.isArray(p.conflicts)) {
    const list = p.conflicts
      .map((c) => `${c.number == null ? c.status : `#${c.number}`} (${formatStamp(Date.parse(c.start))})`)
      .join(", ");
    return `Conflict: the period overlaps ${list}.`;
  }
  if (Array.isArray(p.errors) && p.errors.length) {
    return `${p.detail || err.message}: ${p.errors.map((e) => `${e.field} ${e.message}`).join("; ")}`;
  }
  return p.detail || err.message || "The request failed.";
}

export class Actions {
  constructor({ session, live, view, notify }) {
    this.session = session;
    this.live = live;
    this.view = view;
    this.notify = notify;
    this.createDialog = document.getElementById("create-dialog");
    this.createForm = document.getElementById("create-form");
    this.bookingDialog = document.getElementById("booking-dialog");
    this.current = null;
    // Properties, not listeners: a new sign-in's Actions replaces the previous handlers.
    this.createForm.onsubmit = (e) => {
      e.preventDefault();
      this.submitCreate();
    };
    for (const dialog of [this.createDialog, this.bookingDialog]) {
      dialog.onclick = (e) => {
        if (e.target.closest("[data-close]")) dialog.close();
      };
    }
    document.getElementById("booking-actions").onclick = (e) => {
      const button = e.target.closest("button[data-action]");
      if (button) this.transition(button.dataset.action);
    };
  }

  resourceOptions(select, selected) {
    const resources = [...this.live.state.resources.values()]
      .filter((r) => r.is_active).sort((a, b) => a.name.localeCompare(b.name));
    select.replaceChildren(...resources.map((r) => new Option(`${r.name} (${r.kind})`, r.id, false, r.id === selected)));
  }

  openCreate(resourceId, start, end) {
    const form = this.createForm;
    this.resourceOptions(form.elements.resource_id, resourceId);
    const projects = [...this.live.state.projects.values()].filter((p) => p.is_active);
    form.elements.project_id.replaceChildren(
      new Option("None", ""), ...projects.map((p) => new Option(`${p.name} (${p.code})`, p.id)),
    );
    form.elements.start.value = localInput(start);
    form.elements.end.value = localInput(end);
    form.elements.title.value = "";
    document.getElementById("create-error").textContent = "";
    this.createDialog.showModal();
    form.elements.title.focus();
  }

  async submitCreate() {
    const form = this.createForm.elements;
    const error = document.getElementById("create-error");
    const start = new Date(form.start.value);
    const end = new Date(form.end.value);
    if (!(end > start)) {
      error.textContent = "The end must be after the start.";
      return;
    }
    const body = {
      resource_id: form.resource_id.value,
      start: start.toISOString(),
      end: end.toISOString(),
      title: form.title.value.trim(),
    };
    if (form.project_id.value) body.project_id = form.project_id.value;
    const user = this.session.user;
    const temp = {
      id: `new-${crypto.randomUUID()}`, number: null, requester_id: user.id, status: "pending",
      version: 0, escalated_at: null, ...body,
    };
    this.live.setOptimistic(temp);
    error.textContent = "";
    this.view.highlight([]);
    try {
      const booking = await this.session.request("POST", "/v1/bookings", body);
      this.live.rollback(temp.id, null);
      this.live.upsertBooking(booking);
      this.createDialog.close();
      this.notify(`Booked #${booking.number} (${booking.status}).`, "info");
    } catch (err) {
      this.live.rollback(temp.id, null);
      error.textContent = describe(err);
      const conflicts = err instanceof ApiError ? err.problem.conflicts ?? [] : [];
      this.view.highlight(conflicts.map((c) => c.id));
    }
  }

  openBooking(id) {
    const b = this.live.state.bookings.get(id);
    if (!b || b.optimistic) return;
    this.current = id;
    const { number, title, who } = this.view.label(b);
    const resource = this.live.state.resources.get(b.resource_id);
    const project = b.project_id ? this.live.state.projects.get(b.project_id) : null;
    document.getElementById("booking-title").textContent = `${number} ${title}`;
    const rows = [
      ["Status", b.status + (b.escalated_at && b.status === "pending" ? " (escalated)" : "")],
      ["Resource", resource?.name ?? b.resource_id],
      ["When", `${formatStamp(Date.parse(b.start))} – ${formatStamp(Date.parse(b.end))}`],
      ["Requester", who],
      ["Project", project ? project.name : "—"],
    ];
    if (b.status_reason) rows.push(["Reason", b.status_reason]);
    if (b.note) rows.push(["Note", b.note]);
    document.getElementById("booking-details").replaceChildren(...rows.flatMap(([k, v]) => {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = k;
      dd.textContent = v;
      return [dt, dd];
    }));
    const actions = allowedActions(this.session.user, b);
    const form = document.getElementById("booking-form").elements;
    form.reason.value = "";
    document.getElementById("reason-label").hidden = !actions.some((a) => a !== "assign");
    document.getElementById("assign-label").hidden = !actions.includes("assign");
    if (actions.includes("assign")) this.resourceOptions(form.resource_id, b.resource_id);
    const buttons = actions.map((action) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = action;
      button.textContent = LABEL[action];
      return button;
    });
    const close = document.createElement("button");
    close.type = "button";
    close.dataset.close = "";
    close.textContent = "Close";
    document.getElementById("booking-actions").replaceChildren(...buttons, close);
    document.getElementById("booking-error").textContent = "";
    this.bookingDialog.showModal();
  }

  async transition(action) {
    const b = this.live.state.bookings.get(this.current);
    if (!b) return;
    const form = document.getElementById("booking-form").elements;
    const body = {};
    if (form.reason.value.trim() && action !== "assign") body.reason = form.reason.value.trim();
    const change = action === "assign" ? { resource_id: form.resource_id.value } : { status: TARGET[action] };
    if (action === "assign") body.resource_id = change.resource_id;
    const before = this.live.setOptimistic({ ...b, ...change });
    this.bookingDialog.close();
    try {
      const booking = await this.session.request("POST", `/v1/bookings/${b.id}/${action}`, body);
      this.live.upsertBooking(booking);
    } catch (err) {
      this.live.rollback(b.id, before);
      this.notify(`Could not ${LABEL[action].toLowerCase()} ${this.view.label(b).number}: ${describe(err)}`, "error");
    }
  }
}
