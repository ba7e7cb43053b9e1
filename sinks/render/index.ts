export * from "./create-renderer.ts";
export { formatDate, formatMoney, formatNumber, formatPlural } from "./format.ts";
export * from "./sample-context.ts";
export { safeHttpUrl, trackedUrl } from "./tracked-url.ts";
export * from "./types.ts";
