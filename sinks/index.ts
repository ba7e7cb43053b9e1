/**
 * sinks/: turns triggers and campaign sends into emails.
 *
 * @example
 * const renderer = createRenderer(); // compiles sinks/templates/ once
 * const { subject, html, text } = renderer.render("cart-reminder", ctx);
 */

export * from "./campaigns/index.ts";
export * from "./delivery/index.ts";
export * from "./render/index.ts";
