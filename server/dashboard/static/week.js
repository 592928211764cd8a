// Time in the viewer's zone: the week's day boundaries (23 or 25 hours across DST) and the
// position of an instant along the week, as a fraction 0..1.

export const DAY_COUNT = 7;
const SNAP = 15 * 60_000;

export function startOfWeek(date) {
  const day = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  day.setDate(day.getDate() - ((day.getDay() + 6) % 7)); // Monday
  return day;
}

export function addDays(date, days) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);
}

// The 8 local midnights from Monday to the next Monday, as epoch milliseconds.
export function dayBounds(weekStart) {
  return Array.from({ length: DAY_COUNT + 1 }, (_, i) => addDays(weekStart, i).getTime());
}

// The shown hours of each day, [open, close) in epoch ms: 07:00–19:00 local by default,
// or the whole day. Wall-clock hours, so a DST day keeps them.
export function daySpans(weekStart, fromHour, toHour) {
  return Array.from({ length: DAY_COUNT }, (_, i) => {
    const day = addDays(weekStart, i);
    const at = (hour) => new Date(day.getFullYear(), day.getMonth(), day.getDate(), hour).getTime();
    return [at(fromHour), at(toHour)];
  });
}

// Where instant t lies along the shown week, 0..1; hidden hours collapse to a day's edge.
export function fractionAt(spans, t) {
  for (let day = 0; day < DAY_COUNT; day++) {
    const [open, close] = spans[day];
    if (t < open) return day / DAY_COUNT;
    if (t < close) return (day + (t - open) / (close - open)) / DAY_COUNT;
  }
  return 1;
}

export function timeAt(spans, fraction) {
  const x = Math.min(Math.max(fraction, 0), 0.999999) * DAY_COUNT;
  const day = Math.floor(x);
  const [open, close] = spans[day];
  return Math.round((open + (x - day) * (close - open)) / SNAP) * SNAP;
}

const dayName = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric" });
const rangeName = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const stamp = new Intl.DateTimeFormat(undefined, {
  weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
});

export const formatDay = (ms) => dayName.format(ms);
export const formatClock = (ms) => clock.format(ms);
export const formatStamp = (ms) => stamp.format(ms);
export const formatRange = (bounds) =>
  `${rangeName.format(bounds[0])} – ${rangeName.format(bounds[DAY_COUNT] - 1)}`;

// The value of an <input type="datetime-local"> for an instant, in local time.
export function localInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
