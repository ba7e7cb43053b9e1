// CPU time from /proc (Linux; zeros elsewhere), for the benches. A module of its own: bench children
// import it without what bench/lib.ts loads (their RSS is a measured figure).
import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds (user + system) of a process, or of a thread as `self/task/<tid>`, from /proc (Linux; 0 elsewhere). */
export function cpuSeconds(pid: number | string | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of each of this process's threads, by thread id (Linux; empty elsewhere). */
export function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return out;
  }
  for (const tid of tids) out.set(tid, cpuSeconds(`self/task/${tid}`));
  return out;
}

/**
 * CPU between two `threadCpu()` snapshots as µs per item, grouped: "main" (this process's main
 * thread), "new threads" (started after `before`: worker threads), "other threads" (DuckDB's, libuv's,
 * V8's). A thread that ended before `after` is not counted, so take `after` while workers still run.
 */
export function cpuPerItem(
  before: Map<string, number>,
  after: Map<string, number>,
  items: number,
  /** Threads that count as "other" (default: those in `before`); later ones are "new threads". */
  old: { has(tid: string): boolean } = before,
) {
  const groups = new Map<string, number>();
  for (const [tid, s] of after) {
    const group = tid === String(process.pid) ? "main" : old.has(tid) ? "other threads" : "new threads";
    groups.set(group, (groups.get(group) ?? 0) + ((s - (before.get(tid) ?? 0)) * 1e6) / items);
  }
  return [...groups].sort((a, b) => b[1] - a[1]);
}
