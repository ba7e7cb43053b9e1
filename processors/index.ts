/**
 * processors/: pure event-time detection (cart and browse abandonment) and its RxJS operators.
 *
 * @example
 * let state = initialDetectState();
 * const [next, out] = detect(state, { type: "event", event, tsMs }, opts);
 */
export * from "./detector.ts";
export * from "./trigger.ts";
