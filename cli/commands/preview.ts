import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { messageOf, NudgeError } from "../../ingest/index.ts";
import { createRenderer, RenderContext, sampleContext } from "../../sinks/index.ts";

interface PreviewFlags {
  templates?: string;
  context?: string;
  locale: string;
  timezone: string;
  currency: string;
  now?: string;
  part: string;
  out?: string;
  list?: boolean;
}

function readContext(path: string): RenderContext {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new NudgeError("NUDGE_ERR_LOAD_FILE", `${path}: ${messageOf(err)}`, { cause: err });
  }
  const parsed = RenderContext.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new NudgeError(
      "NUDGE_ERR_LOAD_SCHEMA",
      `${path} is not a render context:\n  ${problems.join("\n  ")}`,
    );
  }
  return parsed.data;
}

export function register(program: Command): void {
  program
    .command("preview")
    .description(
      "Compile the email templates (reporting any error with file and line) and render one or all of them " +
        "with a sample or given context, to stdout or to files",
    )
    .argument("[template]", "template name, e.g. cart-reminder (default: all)")
    .option("--templates <dir>", "templates directory (default: the shipped sinks/templates)")
    .option(
      "--context <file.json>",
      "render context as JSON (RenderContext); default: a sample cart and order",
    )
    .option("--locale <tag>", "sample shopper's locale", "en-GB")
    .option("--timezone <zone>", "sample shopper's time zone", "Europe/London")
    .option("--currency <code>", "sample prices' currency", "EUR")
    .option("--now <iso>", "time of sending (default: now)")
    .option("--part <part>", "subject, html, text or all", "all")
    .option("--out <dir>", "write <template>.subject.txt, .html and .txt files there instead of printing")
    .option("--list", "only list the templates and their kind")
    .action((template: string | undefined, flags: PreviewFlags) => {
      const renderer = createRenderer({
        templatesDir: flags.templates ? resolve(flags.templates) : undefined,
      });
      if (flags.list) {
        for (const name of renderer.names()) process.stdout.write(`${name}\t${renderer.kind(name)}\n`);
        return;
      }
      const ctx = flags.context
        ? readContext(flags.context)
        : sampleContext({
            now: flags.now ?? new Date().toISOString(),
            locale: flags.locale,
            timezone: flags.timezone,
            currency: flags.currency,
          });
      const names = template ? [template] : renderer.names();
      if (flags.out) mkdirSync(flags.out, { recursive: true });
      for (const name of names) {
        const email = renderer.render(name, ctx);
        if (flags.out) {
          writeFileSync(join(flags.out, `${name}.subject.txt`), `${email.subject}\n`);
          writeFileSync(join(flags.out, `${name}.html`), email.html);
          writeFileSync(join(flags.out, `${name}.txt`), email.text);
          process.stdout.write(
            `${join(flags.out, `${name}.html`)}  (${renderer.kind(name)}) ${email.subject}\n`,
          );
          continue;
        }
        if (names.length > 1) process.stdout.write(`===== ${name} (${renderer.kind(name)})\n`);
        if (flags.part === "subject" || flags.part === "all")
          process.stdout.write(`Subject: ${email.subject}\n\n`);
        if (flags.part === "html" || flags.part === "all") process.stdout.write(email.html);
        if (flags.part === "text" || flags.part === "all")
          process.stdout.write(`${flags.part === "all" ? "\n" : ""}${email.text}`);
      }
    });
}
