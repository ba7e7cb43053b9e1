import type { RecordBatch } from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchPacker, decodeBatch, decodedArrow, packBatch } from "../ingest/history-decode.ts";
import {
  type Decoded,
  decodeEvent,
  eventSubject,
  flatEvent,
  HistoryColumns,
  RecentIds,
} from "../ingest/index.ts";
import { valid } from "./helpers/event-arbitraries.ts";

const encoder = new TextEncoder();
const subjectOf = (e: object) => eventSubject(e as { type: string; profileId: string });
const unicode = fc.oneof(
  fc.constantFrom("é", "ü", "ñé", "日本", "😀", "aé"),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
);

/** A message as the stream holds it: mostly valid events (some with non-ASCII text), some refused. */
const message = fc.oneof(
  { weight: 8, arbitrary: valid.map((e) => ({ subject: subjectOf(e), body: JSON.stringify(e) })) },
  {
    weight: 2,
    arbitrary: fc.tuple(valid, unicode).map(([e, label]) => {
      const event = {
        ...e,
        label,
        ...(e.type === "profile_update" ? { attributes: { ...e.attributes, city: label } } : {}),
      };
      return { subject: subjectOf(event), body: JSON.stringify(event) };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { subject: "events.product_view.p1", body: "{not json" },
      { subject: "events.product_view.p1", body: '{"id":"x","type":"product_view"}' },
      {
        subject: "events.cart_add.p1",
        body: JSON.stringify({
          id: "s1",
          type: "product_view",
          profileId: "p1",
          ts: "2026-11-23T10:00:00Z",
          productId: "a",
        }),
      },
      { subject: "events.product_view.p1", body: `{"id":"big","pad":"${"x".repeat(70_000)}"}` },
      { subject: "events.product_view.p1", body: "\u00ff\u00fe invalid UTF-8 once encoded as latin1" },
    ),
  },
);

function bytesOf(m: { subject: string; body: string }, i: number) {
  // The last constant above is sent as raw latin1 bytes: not valid UTF-8.
  const data = m.body.includes("invalid UTF-8")
    ? Uint8Array.from(m.body, (c) => c.charCodeAt(0))
    : encoder.encode(m.body);
  return { seq: 1000 + i, subject: m.subject, data };
}

const column = (b: RecordBatch | undefined, name: string) => {
  const v = b?.getChild(name);
  return v ? Array.from({ length: v.length }, (_, i) => v.get(i)) : [];
};
const micros = (b: RecordBatch | undefined, name: string) =>
  Array.from((b?.getChild(name)?.data[0]?.values ?? []) as BigInt64Array);
const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
const orNull = <T>(v: T | undefined) => (v === undefined ? null : v);

describe("decodeBatch", () => {
  const shared = new HistoryColumns();
  it("gives the rows, refusals and duplicates that decoding each message alone gives", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 60 }), (messages) => {
        const msgs = messages.map(bytesOf);
        // One HistoryColumns for every run, as the decode thread keeps one: nothing may leak between batches.
        const decoded = decodeBatch(packBatch(msgs), new RecentIds(1_000), 1_795_000_000_123, shared);
        // The reference: each message decoded alone, repeated ids dropped with a plain Set.
        const seen = new Set<string>();
        const accepted: { seq: number; d: Extract<Decoded, { ok: true }> }[] = [];
        const refused: unknown[] = [];
        let duplicates = 0;
        msgs.forEach((m, index) => {
          const d = decodeEvent(m.subject, m.data);
          if (!d.ok)
            refused.push({
              index,
              reason: d.reason,
              error: d.error,
              original: { subject: m.subject, seq: m.seq, data: m.data },
            });
          else if (seen.has(d.event.id)) duplicates++;
          else {
            seen.add(d.event.id);
            accepted.push({ seq: m.seq, d });
          }
        });
        expect(decoded.rejected).toEqual(refused);
        expect(decoded.duplicates).toBe(duplicates);
        expect(decoded.accepted).toBe(accepted.length);
        const arrow = decodedArrow(decoded);
        const ev = arrow?.events;
        const flat = accepted.map(({ d }) => flatEvent(d.event));
        expect(micros(ev, "seq")).toEqual(accepted.map(({ seq }) => BigInt(seq)));
        expect(column(ev, "id")).toEqual(accepted.map(({ d }) => d.event.id));
        expect(column(ev, "type")).toEqual(accepted.map(({ d }) => d.event.type));
        expect(column(ev, "profile_id")).toEqual(accepted.map(({ d }) => d.event.profileId));
        expect(micros(ev, "ts")).toEqual(accepted.map(({ d }) => BigInt(d.tsMs) * 1000n));
        expect(column(ev, "product_id")).toEqual(flat.map((f) => orNull(f.productId)));
        expect(column(ev, "quantity")).toEqual(flat.map((f) => orNull(f.quantity)));
        expect(column(ev, "price")).toEqual(accepted.map(({ d }) => orNull(d.event.price)));
        expect(column(ev, "currency")).toEqual(accepted.map(({ d }) => orNull(d.event.currency)));
        expect(column(ev, "order_id")).toEqual(flat.map((f) => orNull(f.orderId)));
        expect(column(ev, "session_id")).toEqual(accepted.map(({ d }) => orNull(d.event.sessionId)));
        expect(column(ev, "attributes")).toEqual(flat.map((f) => json(f.attributes)));
        expect(column(ev, "extra")).toEqual(accepted.map(({ d }) => json(d.extra)));
        expect(micros(ev, "received_at")).toEqual(accepted.map(() => 1_795_000_000_123_000n));
        const items = accepted.flatMap(({ seq, d }) =>
          d.event.type === "purchase"
            ? d.event.items.map((item) => ({ seq, e: d.event, tsMs: d.tsMs, item }))
            : [],
        );
        const pi = arrow?.purchaseItems;
        expect(micros(pi, "seq")).toEqual(items.map((x) => BigInt(x.seq)));
        expect(column(pi, "event_id")).toEqual(items.map((x) => x.e.id));
        expect(column(pi, "profile_id")).toEqual(items.map((x) => x.e.profileId));
        expect(micros(pi, "ts")).toEqual(items.map((x) => BigInt(x.tsMs) * 1000n));
        expect(column(pi, "order_id")).toEqual(
          items.map((x) => (x.e.type === "purchase" ? x.e.orderId : "")),
        );
        expect(column(pi, "product_id")).toEqual(items.map((x) => x.item.productId));
        expect(column(pi, "quantity")).toEqual(items.map((x) => x.item.quantity ?? 1));
        expect(column(pi, "price")).toEqual(items.map((x) => orNull(x.item.price)));
        const updates = accepted.filter(({ d }) => d.event.type === "profile_update");
        const pu = arrow?.profileUpdates;
        expect(column(pu, "profile_id")).toEqual(updates.map(({ d }) => d.event.profileId));
        expect(column(pu, "ts_ms")).toEqual(updates.map(({ d }) => d.tsMs));
        expect(column(pu, "attributes")).toEqual(updates.map(({ d }) => json(flatEvent(d.event).attributes)));
      }),
      { numRuns: 100 },
    );
  });

  it("drops an id seen in an earlier batch", () => {
    const seen = new RecentIds(10);
    const e = {
      id: "e1",
      type: "product_view",
      profileId: "p1",
      ts: "2026-11-23T10:00:00.000Z",
      productId: "a",
    } as const;
    const batch = () => packBatch([bytesOf({ subject: subjectOf(e), body: JSON.stringify(e) }, 0)]);
    expect(decodeBatch(batch(), seen, 0).accepted).toBe(1);
    expect(decodeBatch(batch(), seen, 0)).toMatchObject({ accepted: 0, duplicates: 1, events: undefined });
  });
});

describe("BatchPacker", () => {
  it("hands out the messages in order, whole, however the batches are cut and their buffers reused", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constant("x".repeat(300_000))), {
          maxLength: 200,
        }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (bodies, cuts) => {
          const packer = new BatchPacker();
          const out: { seq: number; subject: string; body: string }[] = [];
          const drain = (n: number) => {
            const b = packer.take(n);
            const subjects = n === 0 ? [] : b.subjects.split("\n");
            for (let i = 0; i < n; i++) {
              const body = new TextDecoder().decode(b.bytes.subarray(b.offsets[i], b.offsets[i + 1]));
              out.push({ seq: b.seqs[i]!, subject: subjects[i]!, body });
            }
            // Done with the batch: its buffers go back to be packed into again (as the decode thread returns them).
            if (n % 2 === 1) packer.recycle(b);
          };
          bodies.forEach((body, i) => {
            packer.add({ seq: i + 1, subject: `events.x.p${i}`, data: encoder.encode(body) });
            const cut = cuts[i % Math.max(1, cuts.length)] ?? 0;
            if (cut % 3 === 0) drain(Math.min(packer.length, cut % 7));
          });
          drain(packer.length);
          expect(out).toEqual(bodies.map((body, i) => ({ seq: i + 1, subject: `events.x.p${i}`, body })));
        },
      ),
      { numRuns: 200 },
    );
  });
});
