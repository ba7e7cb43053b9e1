import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { NudgeError } from "../../ingest/index.ts";

/** A segment name: also its file name (`<name>.sql`), so no dots, slashes or spaces. */
export const SegmentName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    "use 1-64 letters, digits, _ and -, starting with a letter or digit",
  );
export type SegmentName = z.infer<typeof SegmentName>;

/** A stored segment: its SQL text and the description from its leading `--` comment lines. */
export interface StoredSegment {
  readonly name: string;
  readonly sql: string;
  readonly description: string;
}

/** The `.sql` files of a segments folder. */
export interface SegmentStore {
  readonly dir: string;
  list(): Promise<StoredSegment[]>;
  /** Throws NUDGE_ERR_SEGMENT_NOT_FOUND when there is no such segment. */
  get(name: string): Promise<StoredSegment>;
  /** Creates or replaces. Does not vet the SQL: use `saveSegment` for that. */
  put(name: string, sql: string): Promise<StoredSegment>;
  /** True when a segment was deleted. */
  delete(name: string): Promise<boolean>;
}

export function checkSegmentName(name: string): SegmentName {
  const parsed = SegmentName.safeParse(name);
  if (!parsed.success) {
    throw new NudgeError(
      "NUDGE_ERR_SEGMENT_NAME",
      `segment name "${name}": ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

function describe(name: string, sql: string): StoredSegment {
  const description = sql
    .split("\n")
    .map((l) => l.trim())
    .filter((l, i, all) => l.startsWith("--") && all.slice(0, i).every((p) => p.startsWith("--")))
    .map((l) => l.replace(/^--\s?/, ""))
    .join(" ")
    .trim();
  return { name, sql, description };
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code === "ENOENT";

/**
 * Segments as `<dir>/<name>.sql` files (the default dir is SEGMENTS_DIR, `./segments`).
 *
 * @example
 * const store = segmentStore(config.SEGMENTS_DIR);
 * const { sql } = await store.get("cart_abandoners_7d");
 */
export function segmentStore(dir: string): SegmentStore {
  const file = (name: string) => join(dir, `${checkSegmentName(name)}.sql`);
  return {
    dir,
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if (isMissing(err)) return [];
        throw err;
      }
      const segments = names
        .filter((f) => f.endsWith(".sql") && SegmentName.safeParse(f.slice(0, -4)).success)
        .sort()
        .map(async (f) => describe(f.slice(0, -4), await readFile(join(dir, f), "utf8")));
      return Promise.all(segments);
    },
    async get(name) {
      try {
        return describe(name, await readFile(file(name), "utf8"));
      } catch (err) {
        if (isMissing(err)) throw new NudgeError("NUDGE_ERR_SEGMENT_NOT_FOUND", `no segment named "${name}"`);
        throw err;
      }
    },
    async put(name, sql) {
      const path = file(name);
      await mkdir(dir, { recursive: true });
      // Write then rename, so a reader never sees half a file.
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, sql.endsWith("\n") ? sql : `${sql}\n`, "utf8");
      await rename(tmp, path);
      return describe(name, sql);
    },
    async delete(name) {
      try {
        await rm(file(name));
        return true;
      } catch (err) {
        if (isMissing(err)) return false;
        throw err;
      }
    },
  };
}
