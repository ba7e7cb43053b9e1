/**
 * The renderer: every template compiled once at creation, then pure rendering from a context.
 *
 * @example
 * const renderer = createRenderer(); // or createRenderer({ templatesDir: "./my-templates" })
 * const { subject, html, text } = renderer.render("cart-reminder", ctx);
 */
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
// ingest/errors.ts, not ingest/index.ts: this runs in the email worker threads too, where the index
// (DuckDB, NATS, Arrow) would cost each thread ~45 MB of RSS (measured).
import { NudgeError } from "../../ingest/errors.ts";
import { loadTemplates, PARTS, type Part } from "./load-templates.ts";
import type { EmailContent, RenderContext, Renderer, RendererOptions, TemplateKind } from "./types.ts";

/** The shipped templates: sinks/templates/. */
export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL("../templates/", import.meta.url));

/** One line, no runs of spaces: a subject goes into a header. */
function tidySubject(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** No trailing spaces, at most one blank line in a row, one final newline. */
function tidyText(s: string): string {
  return `${s
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

/** Reads and compiles every template in `templatesDir` (default: sinks/templates); throws NUDGE_ERR_TEMPLATE naming file and line. */
export function createRenderer(opts: RendererOptions = {}): Renderer {
  // An isolated environment: our helpers and partials never leak into (or from) the global Handlebars.
  const hb = Handlebars.create();
  const templates = loadTemplates(hb, opts.templatesDir ?? DEFAULT_TEMPLATES_DIR);
  const names = [...templates.keys()].sort();

  function get(name: string) {
    const t = templates.get(name);
    if (!t) {
      throw new NudgeError("NUDGE_ERR_TEMPLATE", `no template "${name}" (have: ${names.join(", ")})`, {
        context: { template: name },
      });
    }
    return t;
  }

  return {
    render(name: string, ctx: RenderContext): EmailContent {
      const t = get(name);
      const out: Record<Part, string> = { subject: "", html: "", text: "" };
      for (const part of PARTS) {
        try {
          out[part] = t.parts[part](ctx);
        } catch (err) {
          throw new NudgeError(
            "NUDGE_ERR_TEMPLATE",
            `${name}.${part}.hbs: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err, context: { template: name, part } },
          );
        }
      }
      return { subject: tidySubject(out.subject), html: out.html, text: tidyText(out.text) };
    },
    names: () => [...names],
    kind: (name: string): TemplateKind => get(name).kind,
  };
}
