import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { isNudgeError, messageOf } from "../ingest/index.ts";

/**
 * The `nudge` command line. Each file in `cli/commands/` exports `register(program)` and adds one
 * command (with its own `--help`), so commands can be added without touching this file.
 */
const program = new Command()
  .name("nudge")
  .description("Real-time shop events to timely, personalized email.")
  .showHelpAfterError();

const dir = join(dirname(fileURLToPath(import.meta.url)), "commands");
for (const file of readdirSync(dir).sort()) {
  if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
  const mod: { register?: (p: Command) => void } = await import(join(dir, file));
  mod.register?.(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = isNudgeError(err) ? ` [${err.code}]` : "";
  process.stderr.write(`nudge: ${messageOf(err)}${code}\n`);
  process.exitCode = 1;
}
