/**
 * processors/: pure event-time detection (cart and browse abandonment) and its RxJS operators.
 *
 * @example
 * let state = initialDetectState();
 * const [next, out] = detect(state, { type: "event", event, tsMs }, opts); // out.triggers, out.late
 * events$.pipe(detectTriggers({ ...opts, idleAdvanceMs: 1000 })).subscribe(publishTrigger);
 */
export * from "./browse.ts";
export * from "./cart.ts";
export { DetectSnapshot } from "./detect-snapshot.ts";
export * from "./detector.ts";
export * from "./operators.ts";
export * from "./runtime/index.ts";
export * from "./trigger.ts";
export * from "./watermark.ts";
