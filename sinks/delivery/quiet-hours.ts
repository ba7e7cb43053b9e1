/** Quiet hours as local hours: `21-8` means from 21:00 until 08:00 next morning. */
export interface QuietHours {
  start: number;
  end: number;
}

/** Parses `QUIET_HOURS` (`21-8`); undefined when unset or equal ends (no quiet time). */
export function parseQuietHours(text: string | undefined): QuietHours | undefined {
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(text ?? "");
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > 23 || end > 23 || start === end) return undefined;
  return { start, end };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(ms: number, timeZone: string): { hour: number; minute: number; second: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hourCycle: "h23",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(ms).map((p) => [p.type, p.value]));
  return { hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

function validZone(tz: string | undefined): string {
  if (!tz) return "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return tz;
  } catch {
    return "UTC";
  }
}

function inWindow(hour: number, q: QuietHours): boolean {
  return q.start < q.end ? hour >= q.start && hour < q.end : hour >= q.start || hour < q.end;
}

/**
 * When `now` falls in the quiet hours of `timeZone` (unknown zones count as UTC), the instant the
 * window opens again (local `end:00`); otherwise undefined. Pure: time is an input.
 *
 * @example quietUntil(Date.parse("2026-11-23T22:30:00Z"), "UTC", { start: 21, end: 8 }) // 2026-11-24T08:00Z
 */
export function quietUntil(
  now: number,
  timeZone: string | undefined,
  q: QuietHours | undefined,
): number | undefined {
  if (!q) return undefined;
  const zone = validZone(timeZone);
  const t = localTime(now, zone);
  if (!inWindow(t.hour, q)) return undefined;
  const hoursLeft = (q.end - t.hour + 24) % 24;
  let until = now + hoursLeft * 3_600_000 - t.minute * 60_000 - t.second * 1_000 - (now % 1_000);
  // A DST change inside the window moves local time by up to an hour: step until the window is open.
  for (let i = 0; i < 4 && inWindow(localTime(until, zone).hour, q); i++) until += 30 * 60_000;
  return until;
}
