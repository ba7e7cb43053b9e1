import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { register } from "../cli/commands/preview.ts";
import { cartContext } from "./render-fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "nudge-preview-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<string> {
  const out: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const program = new Command().exitOverride();
  register(program);
  await program.parseAsync(["node", "nudge", "preview", ...args]);
  vi.restoreAllMocks();
  return out.join("");
}

describe("nudge preview", () => {
  it("lists the templates with their kind", async () => {
    expect(await run("--list")).toBe(
      "browse-reminder\tmarketing\ncart-reminder\tmarketing\ncart-reminder-2\tmarketing\norder-confirmation\ttransactional\n",
    );
  });

  it("renders the sample in the requested locale and zone", async () => {
    const out = await run(
      "order-confirmation",
      "--part",
      "text",
      "--locale",
      "de-DE",
      "--timezone",
      "Asia/Tokyo",
      "--now",
      "2026-11-23T20:00:00Z",
    );
    expect(out).toContain("placed on 24. November 2026 um 05:00");
    expect(out).toContain("Total: 1.343,40\u00a0€");
  });

  it("renders a given context file and writes files with --out", async () => {
    const file = join(dir, "ctx.json");
    writeFileSync(file, JSON.stringify(cartContext()));
    const out = await run("cart-reminder", "--context", file, "--out", join(dir, "out"));
    expect(out).toContain("Ana, you left 2 items in your cart");
    expect(readFileSync(join(dir, "out", "cart-reminder.html"), "utf8")).toContain("Chaise &lt;script&gt;");
    expect(readFileSync(join(dir, "out", "cart-reminder.txt"), "utf8")).toContain("Table basse");
  });

  it("refuses a context file that is not a render context, saying where", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ ...cartContext(), items: [{ name: 3 }] }));
    await expect(run("cart-reminder", "--context", file)).rejects.toMatchObject({
      code: "NUDGE_ERR_LOAD_SCHEMA",
      message: expect.stringContaining("items.0.name"),
    });
  });
});
