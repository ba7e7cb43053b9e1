import type { Renderer, RendererOptions } from "./types.ts";

/** Reads and precompiles every template once; render never touches the disk. (Implementation in progress.) */
export function createRenderer(_opts: RendererOptions = {}): Renderer {
  throw new Error("not implemented yet");
}
