export * from "./create-renderer.ts";
export * from "./types.ts";
