import { type DuckDBConnection, timestampTZValue } from "@duckdb/node-api";
import { messageOf, NudgeError } from "../../ingest/index.ts";
import { loadSql, queryRows, sql } from "../../queries/index.ts";
import { Limiter } from "./retry.ts";

const SCHEMA = loadSql(new URL("./schema.sql", import.meta.url));
const PROFILES = loadSql(new URL("./profiles.sql", import.meta.url));
const PRODUCTS = loadSql(new URL("./products.sql", import.meta.url));
const RECENT = loadSql(new URL("./recent-marketing.sql", import.meta.url));
const SUPPRESS = loadSql(new URL("./suppress.sql", import.meta.url));
const UNSUBSCRIBE = loadSql(new URL("./unsubscribe.sql", import.meta.url));

export interface ProfileRow {
  profileId: string;
  email?: string;
  firstName?: string;
  locale?: string;
  timezone?: string;
  consent?: string;
  suppressed: boolean;
}

export interface ProductRow {
  productId: string;
  name?: string;
  price?: number;
  currency?: string;
  stock?: number;
  active?: boolean;
  imageUrl?: string;
  url?: string;
}

/** One row of `send_log`. */
export interface SendLogRow {
  sendId: string;
  key: string;
  messageId: string;
  profileId: string;
  email?: string;
  campaign: string;
  triggerId?: string;
  template: string;
  kind: "marketing" | "transactional";
  recommendations: { productId: string; reason: string; score?: number; rank?: number }[];
  status: "sent" | "failed" | "skipped" | "held";
  reason?: string;
  attempts: number;
  createdAt: number;
  sentAt?: number;
  smtpResponse?: string;
  error?: string;
}

const str = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));

/**
 * The sink's DuckDB side: lookups (one statement per batch), the send log and suppressions. One
 * connection, used by one statement at a time (a DuckDB connection must not run two at once; DuckDB
 * parallelises each statement itself).
 */
export class DeliveryStore {
  readonly #lock = new Limiter(1);

  constructor(readonly conn: DuckDBConnection) {}

  async ensureSchema(): Promise<void> {
    await this.#lock.run(() => this.conn.run(SCHEMA));
  }

  async profiles(ids: readonly string[]): Promise<Map<string, ProfileRow>> {
    const rows = await this.#query(PROFILES, { profile_ids: [...ids] });
    return new Map(
      rows.map((r) => [
        String(r.profile_id),
        {
          profileId: String(r.profile_id),
          email: str(r.email),
          firstName: str(r.first_name),
          locale: str(r.locale),
          timezone: str(r.timezone),
          consent: str(r.consent),
          suppressed: r.suppressed === true,
        },
      ]),
    );
  }

  async products(ids: readonly string[]): Promise<Map<string, ProductRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#query(PRODUCTS, { product_ids: [...ids] });
    return new Map(
      rows.map((r) => [
        String(r.product_id),
        {
          productId: String(r.product_id),
          name: str(r.name),
          price: num(r.price),
          currency: str(r.currency),
          stock: num(r.stock),
          active: r.active === null ? undefined : r.active === true,
          imageUrl: str(r.image_url),
          url: str(r.url),
        },
      ]),
    );
  }

  async recentMarketing(sinceMs: number): Promise<{ profileId: string; sentAt: number }[]> {
    const rows = await this.#query(RECENT, { since: new Date(sinceMs) });
    return rows.map((r) => ({ profileId: String(r.profile_id), sentAt: Number(r.sent_ms) }));
  }

  async suppress(email: string, reason: string, smtpResponse: string, atMs: number): Promise<void> {
    await this.#query(SUPPRESS, { email, reason, smtp_response: smtpResponse, at: new Date(atMs) });
  }

  async unsubscribe(profileId: string): Promise<void> {
    await this.#query(UNSUBSCRIBE, { profile_id: profileId });
  }

  /** Appends rows with DuckDB's appender (one flush per call). */
  appendLog(rows: readonly SendLogRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.#lock.run(() => this.#append(rows));
  }

  async #append(rows: readonly SendLogRow[]): Promise<void> {
    const ts = (ms: number) => timestampTZValue(BigInt(Math.round(ms)) * 1000n);
    const a = await this.conn.createAppender("send_log");
    const text = (v: string | undefined) => (v === undefined ? a.appendNull() : a.appendVarchar(v));
    try {
      for (const r of rows) {
        a.appendVarchar(r.sendId);
        a.appendVarchar(r.key);
        a.appendVarchar(r.messageId);
        a.appendVarchar(r.profileId);
        text(r.email);
        a.appendVarchar(r.campaign);
        text(r.triggerId);
        a.appendVarchar(r.template);
        a.appendVarchar(r.kind);
        a.appendVarchar(JSON.stringify(r.recommendations));
        a.appendVarchar(r.status);
        text(r.reason);
        a.appendInteger(r.attempts);
        a.appendTimestampTZ(ts(r.createdAt));
        if (r.sentAt === undefined) a.appendNull();
        else a.appendTimestampTZ(ts(r.sentAt));
        text(r.smtpResponse);
        text(r.error);
        a.endRow();
      }
      a.flushSync();
    } finally {
      a.closeSync();
    }
  }

  async #query(text: string, params: Record<string, string | number | Date | string[]>) {
    try {
      return await this.#lock.run(() => queryRows(this.conn, sql.file(text, params)));
    } catch (err) {
      throw new NudgeError("NUDGE_ERR_INTERNAL", `email sink query failed: ${messageOf(err)}`, {
        cause: err,
      });
    }
  }
}
