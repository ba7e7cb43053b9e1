import { watch as watchDir } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { stringify as toYaml } from "yaml";
import { NudgeError } from "../../ingest/index.ts";
import type { Campaign } from "./definition.ts";
import { type CampaignEntry, checkCampaign, loadCampaignEntries, parseCampaign } from "./store.ts";

type Listener = (changes: CampaignChange[]) => void | Promise<void>;

/** One campaign added (`before` undefined), replaced, or deleted (`after` undefined). */
export interface CampaignChange {
  name: string;
  before?: Campaign | undefined;
  after?: Campaign | undefined;
}

/**
 * The campaign definitions of one process, as a live map: loaded from CAMPAIGNS_DIR at start, changed
 * through the API (`put`, `delete`) or by editing the folder (`watch`), with listeners told of every
 * change so the scheduler and the journey engine re-arm without a restart.
 *
 * The folder stays the one source of truth (like segments' `.sql` files): a put writes the definition
 * file atomically (temp file, fsync, rename, fsync of the folder), so a restart, `nudge run --only
 * journeys` in another process (through `watch`) and a person reading the folder all see the same thing.
 *
 * @example
 * const registry = CampaignRegistry.fromDir(config.CAMPAIGNS_DIR);
 * registry.subscribe(() => scheduler.update(registry.values()));
 * await registry.put("winter-boots", { kind: "api", template: "order-confirmation" });
 */
export class CampaignRegistry {
  /** The campaigns by name, updated in place on every change (services read it live). */
  readonly campaigns = new Map<string, Campaign>();
  readonly #entries = new Map<string, CampaignEntry>();
  readonly #dir: string | undefined;
  readonly #listeners = new Set<Listener>();
  /** Writes and reloads one at a time: the folder and the map never disagree. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(dir: string | undefined, entries: Iterable<CampaignEntry>) {
    this.#dir = dir;
    for (const e of entries) this.#set(e);
  }

  /** The definitions of `dir` (a bad file fails with its name and problems); changes are written there. */
  static fromDir(dir: string): CampaignRegistry {
    return new CampaignRegistry(dir, loadCampaignEntries(dir).values());
  }

  /** Definitions kept in memory only (tests, or a deployment without a writable folder). */
  static inMemory(campaigns: Iterable<Campaign>): CampaignRegistry {
    return new CampaignRegistry(
      undefined,
      [...campaigns].map((c) => ({ campaign: c, definition: c })),
    );
  }

  get(name: string): Campaign | undefined {
    return this.campaigns.get(name);
  }

  entry(name: string): CampaignEntry | undefined {
    return this.#entries.get(name);
  }

  values(): IterableIterator<Campaign> {
    return this.campaigns.values();
  }

  /**
   * Calls `fn` after each change (put, delete, reload) and waits for it: when a put resolves, the
   * listeners (scheduler, journeys) have taken the change. A listener handles its own errors. Returns
   * the unsubscribe function.
   */
  subscribe(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Creates or replaces campaign `name`. The definition is checked by the `Campaign` schema (its `name`
   * may be left out; when given it must be `name`), then by `check` (e.g. cron and SQL), then written:
   * over its current file when it has one (keeping YAML or JSON), else to `<dir>/<name>.yaml`.
   */
  put(
    name: string,
    definition: unknown,
    check?: (c: Campaign) => Promise<void>,
  ): Promise<{ entry: CampaignEntry; created: boolean }> {
    return this.#serial(async () => {
      if (typeof definition !== "object" || definition === null || Array.isArray(definition)) {
        throw new NudgeError("NUDGE_ERR_CAMPAIGN", `campaign ${name}: a definition is an object`);
      }
      const named: Record<string, unknown> = { ...definition };
      named.name ??= name;
      if (named.name !== name) {
        throw new NudgeError(
          "NUDGE_ERR_CAMPAIGN",
          `campaign ${name}: the definition's name (${String(named.name)}) differs from ${name}`,
        );
      }
      const campaign = checkCampaign(named, `campaign ${name}`);
      await check?.(campaign);
      const current = this.#entries.get(name);
      // The file name comes from a name the schema has checked (no dots, no slashes).
      const source = this.#dir === undefined ? undefined : (current?.source ?? this.#newFile(campaign.name));
      if (source !== undefined) await writeAtomically(source, named);
      const entry: CampaignEntry = { campaign, definition: named, source };
      this.#set(entry);
      await this.#emit([{ name, before: current?.campaign, after: campaign }]);
      return { entry, created: current === undefined };
    });
  }

  /** Deletes campaign `name` (and its file); false when there was none. */
  delete(name: string): Promise<boolean> {
    return this.#serial(async () => {
      const current = this.#entries.get(name);
      if (!current) return false;
      if (current.source !== undefined) {
        await rm(current.source, { force: true });
        await syncDir(current.source);
      }
      this.#remove(name);
      await this.#emit([{ name, before: current.campaign }]);
      return true;
    });
  }

  /**
   * Reads the folder again and applies what changed (files edited by hand, or by another process's
   * `put`). A bad file changes nothing and throws, naming the file and its problems.
   */
  reload(): Promise<CampaignChange[]> {
    return this.#serial(async () => {
      if (this.#dir === undefined) return [];
      const next = loadCampaignEntries(this.#dir);
      const changes: CampaignChange[] = [];
      for (const [name, e] of this.#entries) {
        if (!next.has(name)) changes.push({ name, before: e.campaign });
      }
      for (const [name, e] of next) {
        const before = this.#entries.get(name);
        if (before && isDeepStrictEqual(before.campaign, e.campaign)) {
          before.source = e.source;
          continue;
        }
        changes.push({ name, before: before?.campaign, after: e.campaign });
      }
      for (const c of changes) {
        const e = next.get(c.name);
        if (e) this.#set(e);
        else this.#remove(c.name);
      }
      if (changes.length > 0) await this.#emit(changes);
      return changes;
    });
  }

  /**
   * Reloads whenever the folder changes (debounced), so a `put` made by another process on this
   * machine, or a hand edit, takes effect here too. Returns the function that stops watching.
   */
  watch(opts: { debounceMs?: number; onError?: (err: unknown) => void } = {}): () => void {
    const dir = this.#dir;
    if (dir === undefined) return () => {};
    let timer: NodeJS.Timeout | undefined;
    let watcher: ReturnType<typeof watchDir> | undefined;
    const reload = () => {
      timer = undefined;
      this.reload().catch((err: unknown) => opts.onError?.(err));
    };
    void mkdir(dir, { recursive: true })
      .then(() => {
        watcher = watchDir(dir, (_event, file) => {
          // Temp files come and go during every write: only definition files matter.
          if (file && !/\.(ya?ml|json)$/.test(String(file))) return;
          clearTimeout(timer);
          timer = setTimeout(reload, opts.debounceMs ?? 200);
        });
        watcher.on("error", (err) => opts.onError?.(err));
      })
      .catch((err: unknown) => opts.onError?.(err));
    return () => {
      clearTimeout(timer);
      watcher?.close();
    };
  }

  #set(e: CampaignEntry) {
    this.#entries.set(e.campaign.name, e);
    this.campaigns.set(e.campaign.name, e.campaign);
  }

  #remove(name: string) {
    this.#entries.delete(name);
    this.campaigns.delete(name);
  }

  #newFile(name: string): string {
    const path = join(this.#dir ?? ".", `${name}.yaml`);
    const taken = [...this.#entries.values()].find((e) => e.source === path);
    if (taken) {
      throw new NudgeError("NUDGE_ERR_CAMPAIGN", `${path} already holds campaign ${taken.campaign.name}`);
    }
    return path;
  }

  async #emit(changes: CampaignChange[]) {
    await Promise.allSettled([...this.#listeners].map(async (fn) => fn(changes)));
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}

/** Writes `data` as the file's format into a temp file, fsyncs it, renames it over `path`, fsyncs the folder. */
async function writeAtomically(path: string, data: Record<string, unknown>) {
  const text = extname(path) === ".json" ? `${JSON.stringify(data, null, 2)}\n` : toYaml(data);
  // What is written must load at the next start exactly as it was checked now.
  parseCampaign(text, path);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, "w");
  try {
    await file.writeFile(text, "utf8");
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path).catch(async (err: unknown) => {
    await rm(tmp, { force: true });
    throw err;
  });
  await syncDir(path);
}

/** Makes a rename or unlink in the file's folder durable (a no-op where folders cannot be fsynced). */
async function syncDir(path: string) {
  const dir = await open(dirname(path), "r").catch(() => undefined);
  try {
    await dir?.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await dir?.close();
  }
}
