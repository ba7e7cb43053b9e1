import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isNudgeError } from "../ingest/index.ts";
import { createRenderer, DEFAULT_TEMPLATES_DIR } from "../sinks/index.ts";
import { cartContext } from "./render-fixture.ts";

const root = mkdtempSync(join(tmpdir(), "nudge-render-errors-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A templates dir with the given files (relative path → source). */
function dirWith(files: Record<string, string>): string {
  const dir = join(root, String(n++));
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), source);
  }
  return dir;
}

const ok = {
  "t.subject.hbs": "Hello",
  "t.html.hbs": "<p>{{profile.email}}</p>",
  "t.text.hbs": "{{profile.email}}",
};

function templateError(fn: () => unknown): Error & { code: string } {
  try {
    fn();
  } catch (err) {
    if (isNudgeError(err, "NUDGE_ERR_TEMPLATE")) return err;
    throw err;
  }
  throw new Error("expected NUDGE_ERR_TEMPLATE");
}

describe("template faults name the file and line", () => {
  it("a syntax error", () => {
    const dir = dirWith({ ...ok, "t.html.hbs": "<p>\nline two\n{{#each items}}\n  {{name}\n{{/each}}\n" });
    const err = templateError(() => createRenderer({ templatesDir: dir }));
    expect(err.message).toMatch(/^t\.html\.hbs line 4: /);
    expect(err.message).toContain("{{name}");
  });

  it("mismatched blocks", () => {
    const dir = dirWith({ ...ok, "t.text.hbs": "a\nb\n{{#if x}}\n{{/each}}" });
    expect(templateError(() => createRenderer({ templatesDir: dir })).message).toBe(
      "t.text.hbs line 3: if doesn't match each",
    );
  });

  it("a syntax error in a partial names the partial's file", () => {
    const dir = dirWith({ ...ok, "partials/card.html.hbs": "x\n{{/if}}" });
    expect(templateError(() => createRenderer({ templatesDir: dir })).message).toMatch(
      /^partials\/card\.html\.hbs line 2: /,
    );
  });

  it("an unknown helper is refused at startup, not at send time", () => {
    const dir = dirWith({ ...ok, "t.html.hbs": "<p>\n{{monney price currency}}</p>" });
    expect(templateError(() => createRenderer({ templatesDir: dir })).message).toBe(
      't.html.hbs line 2: unknown helper "monney"',
    );
  });

  it("an unknown partial is refused at startup", () => {
    const dir = dirWith({ ...ok, "t.html.hbs": "{{#each items}}\n{{> product-crd.html}}\n{{/each}}" });
    expect(templateError(() => createRenderer({ templatesDir: dir })).message).toBe(
      't.html.hbs line 2: unknown partial "product-crd.html"',
    );
  });

  it.each(["{{{name}}}", "{{& name}}"])("unescaped output %s is refused", (src) => {
    const dir = dirWith({ ...ok, "t.html.hbs": `<p>\n\n${src}</p>` });
    expect(templateError(() => createRenderer({ templatesDir: dir })).message).toMatch(
      /^t\.html\.hbs line 3: unescaped output/,
    );
  });

  it("a template without its text part", () => {
    const dir = dirWith({ "t.subject.hbs": "s", "t.html.hbs": "h" });
    expect(templateError(() => createRenderer({ templatesDir: dir })).message).toMatch(
      /^t\.text\.hbs: missing/,
    );
  });

  it("a directory without templates (e.g. a wrong path)", () => {
    expect(templateError(() => createRenderer({ templatesDir: join(root, "missing") })).message).toMatch(
      /missing: no templates/,
    );
  });

  it("a runtime error names the template and part", () => {
    const base = cartContext();
    const renderer = createRenderer({ templatesDir: dirWith(ok) });
    const ctx = {
      ...base,
      get profile(): never {
        throw new Error("boom");
      },
    };
    const err = templateError(() => renderer.render("t", ctx));
    // The subject does not read the profile; the HTML part is the one that fails.
    expect(err.message).toBe("t.html.hbs: boom");
    expect(err).toMatchObject({ context: { template: "t", part: "html" } });
  });
});

describe("templates directory override", () => {
  it("loads only the templates of the given dir, with its own layouts and partials", () => {
    const dir = dirWith({
      "layouts/html.hbs": "<main>{{> @partial-block}}</main>",
      "partials/hi.text.hbs": 'Hi {{or profile.firstName "you"}}',
      "promo.subject.hbs": "{{!-- kind: transactional --}}\nPromo for {{profile.firstName}}",
      "promo.html.hbs": "{{#> layouts/html}}<b>{{profile.firstName}}</b>{{/layouts/html}}",
      "promo.text.hbs": "{{> hi.text}}",
    });
    const renderer = createRenderer({ templatesDir: dir });
    expect(renderer.names()).toEqual(["promo"]);
    expect(renderer.kind("promo")).toBe("transactional");
    expect(renderer.render("promo", cartContext())).toEqual({
      subject: "Promo for Ana",
      html: "<main><b>Ana</b></main>",
      text: "Hi Ana\n",
    });
  });

  it("a copy of the shipped templates with one edit renders the edit", () => {
    const dir = join(root, "copy");
    cpSync(DEFAULT_TEMPLATES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, "cart-reminder.subject.hbs"), "Psst {{profile.firstName}}, your cart");
    const renderer = createRenderer({ templatesDir: dir });
    expect(renderer.render("cart-reminder", cartContext()).subject).toBe("Psst Ana, your cart");
    expect(createRenderer().render("cart-reminder", cartContext()).subject).toBe(
      "Ana, you left 2 items in your cart",
    );
  });

  it("renders without touching the disk after creation", () => {
    const dir = dirWith(ok);
    const renderer = createRenderer({ templatesDir: dir });
    rmSync(dir, { recursive: true });
    expect(renderer.render("t", cartContext()).text).toBe("ana@example.com\n");
  });
});
