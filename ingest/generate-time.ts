import { HOURLY_WEIGHTS } from "./generate-data.ts";
import { WeightedSampler } from "./generate-rng.ts";

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Maps a fraction of the span to an instant, following the hour-of-day shopping curve. */
export function timeline(startMs: number, spanMs: number): (f: number) => number {
  const n = Math.max(1, Math.ceil(spanMs / HOUR));
  const len = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    len[i] = Math.min(HOUR, spanMs - i * HOUR);
    const hour = new Date(startMs + i * HOUR).getUTCHours();
    w[i] = (HOURLY_WEIGHTS[hour] ?? 1) * (len[i]! / HOUR);
  }
  const sampler = new WeightedSampler(w);
  return (f) => {
    const x = Math.min(f, 1) * sampler.total;
    const i = sampler.locate(x);
    const within = w[i]! > 0 ? (x - sampler.before(i)) / w[i]! : 0;
    return startMs + i * HOUR + Math.min(1, within) * len[i]!;
  };
}

/**
 * `(ms) => ISO-8601 with ms and Z`, the same text as `toISOString()` but without a Date per call
 * (the day's prefix is cached): the generator formats one per event.
 */
export function isoFormatter(): (t: number) => string {
  let isoDay = Number.NaN;
  let isoPrefix = "";
  return (t) => {
    const ms = Math.round(t);
    const day = Math.floor(ms / DAY);
    if (day !== isoDay) {
      isoDay = day;
      isoPrefix = new Date(day * DAY).toISOString().slice(0, 11);
    }
    const r = ms - day * DAY;
    const h = Math.floor(r / HOUR);
    const m = Math.floor(r / 60_000) % 60;
    const sec = Math.floor(r / 1_000) % 60;
    const milli = r % 1_000;
    return `${isoPrefix}${h < 10 ? "0" : ""}${h}:${m < 10 ? "0" : ""}${m}:${sec < 10 ? "0" : ""}${sec}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
  };
}
