/**
 * Reads a templates directory once and compiles every file into an isolated Handlebars environment.
 *
 * Layout of the directory:
 * - `<name>.subject.hbs`, `<name>.html.hbs`, `<name>.text.hbs`: one email template, all three parts required;
 * - `layouts/<file>.hbs`: partial `layouts/<file>` (used as `{{#> layouts/html}}…{{/layouts/html}}`);
 * - `partials/<file>.hbs`: partial `<file>` (e.g. `{{> product-card.html}}`).
 * Files whose name ends in `text.hbs` or `subject.hbs` are plain text (no HTML escaping).
 * A subject file starting with `{{!-- kind: transactional --}}` marks a transactional template.
 *
 * @example
 * const { templates } = loadTemplates(Handlebars.create(), "sinks/templates");
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type Handlebars from "handlebars";
// ingest/errors.ts, not ingest/index.ts: this runs in the email worker threads too, where the index
// (DuckDB, NATS, Arrow) would cost each thread ~45 MB of RSS (measured).
import { NudgeError } from "../../ingest/errors.ts";
import { helpers } from "./helpers.ts";
import { prepareAst } from "./template-ast.ts";
import type { TemplateKind } from "./types.ts";

type Env = typeof Handlebars;
type Delegate = HandlebarsTemplateDelegate<unknown>;

export const PARTS = ["subject", "html", "text"] as const;
export type Part = (typeof PARTS)[number];

export interface CompiledTemplate {
  name: string;
  kind: TemplateKind;
  parts: Record<Part, Delegate>;
}

interface SourceFile {
  /** Path relative to the templates dir, used in error messages: "cart-reminder.html.hbs". */
  file: string;
  source: string;
  /** The partial name, for layouts and partials. */
  partial?: string;
}

function listHbs(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".hbs"))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

function read(dir: string, sub: string, file: string, partialPrefix?: string): SourceFile {
  const rel = sub === "" ? file : `${sub}/${file}`;
  const partial = partialPrefix === undefined ? undefined : partialPrefix + file.slice(0, -".hbs".length);
  return { file: rel, source: readFileSync(join(dir, rel), "utf8"), partial };
}

/** "Parse error on line 12: …" or an Exception with lineNumber → "<file> line 12: …". */
function templateError(file: string, err: unknown): NudgeError {
  const raw = err instanceof Error ? err.message : String(err);
  const lineNumber = (err as { lineNumber?: unknown } | undefined)?.lineNumber;
  const m = /^Parse error on line (\d+):\n?/.exec(raw);
  const line = m ? Number(m[1]) : typeof lineNumber === "number" ? lineNumber : undefined;
  const detail = (m ? raw.slice(m[0].length) : raw.replace(/ - \d+:\d+$/, "")).trim();
  const where = line === undefined ? file : `${file} line ${line}`;
  return new NudgeError("NUDGE_ERR_TEMPLATE", `${where}: ${detail}`, {
    cause: err,
    context: { file, line },
  });
}

function isPlainText(file: string): boolean {
  return /(text|subject)\.hbs$/.test(file);
}

/** Registers helpers and partials in `hb` and returns every email template, compiled. */
export function loadTemplates(hb: Env, dir: string): Map<string, CompiledTemplate> {
  hb.registerHelper(helpers);
  const files: SourceFile[] = [
    ...listHbs(join(dir, "layouts")).map((f) => read(dir, "layouts", f, "layouts/")),
    ...listHbs(join(dir, "partials")).map((f) => read(dir, "partials", f, "")),
    ...listHbs(dir).map((f) => read(dir, "", f)),
  ];
  const partials = new Set(files.flatMap((f) => (f.partial ? [f.partial] : [])));
  const helperNames = new Set(Object.keys(hb.helpers));
  const knownHelpers = Object.fromEntries([...helperNames].map((h) => [h, true]));

  const compiled = new Map<string, Delegate>();
  for (const f of files) {
    let ast: hbs.AST.Program;
    try {
      ast = hb.parse(f.source, { srcName: f.file });
    } catch (err) {
      throw templateError(f.file, err);
    }
    const problem = prepareAst(ast, { helpers: helperNames, partials });
    if (problem)
      throw templateError(f.file, Object.assign(new Error(problem.message), { lineNumber: problem.line }));
    const options: CompileOptions = {
      strict: false,
      noEscape: isPlainText(f.file),
      preventIndent: true,
      // Known helpers are called directly, without first looking the name up in the context.
      knownHelpers,
    };
    try {
      // precompile runs every compiler pass now, so a compile error surfaces at startup with its line.
      hb.precompile(ast, options);
    } catch (err) {
      throw templateError(f.file, err);
    }
    const fn = hb.compile<unknown>(ast, options);
    if (f.partial) hb.registerPartial(f.partial, fn);
    else compiled.set(f.file, fn);
  }

  const templates = new Map<string, CompiledTemplate>();
  const names = new Set<string>();
  for (const file of compiled.keys()) {
    const m = /^(.+)\.(subject|html|text)\.hbs$/.exec(file);
    if (!m?.[1]) {
      throw new NudgeError(
        "NUDGE_ERR_TEMPLATE",
        `${file}: expected <name>.subject.hbs, <name>.html.hbs or <name>.text.hbs`,
        {
          context: { file },
        },
      );
    }
    names.add(m[1]);
  }
  if (names.size === 0) {
    throw new NudgeError(
      "NUDGE_ERR_TEMPLATE",
      `${dir}: no templates (<name>.subject.hbs, .html.hbs, .text.hbs)`,
      {
        context: { dir },
      },
    );
  }
  for (const name of names) {
    const get = (part: Part): Delegate => {
      const fn = compiled.get(`${name}.${part}.hbs`);
      if (!fn) {
        throw new NudgeError(
          "NUDGE_ERR_TEMPLATE",
          `${name}.${part}.hbs: missing (a template needs subject, html and text)`,
          {
            context: { file: `${name}.${part}.hbs` },
          },
        );
      }
      return fn;
    };
    const subjectSource = files.find((f) => f.file === `${name}.subject.hbs`)?.source ?? "";
    const kind: TemplateKind = /^\s*\{\{!(--)?\s*kind:\s*transactional\b/.test(subjectSource)
      ? "transactional"
      : "marketing";
    templates.set(name, {
      name,
      kind,
      parts: { subject: get("subject"), html: get("html"), text: get("text") },
    });
  }
  return templates;
}
