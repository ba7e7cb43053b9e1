import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../api/index.ts";
import { startApi, type TestApi } from "./api-fakes.ts";

const CHROMIUM = "/usr/bin/chromium";
const KEY = "page-test-key-1234";

describe.skipIf(!existsSync(CHROMIUM))("the campaign managers' page in headless Chromium", () => {
  let api: TestApi;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    api = await startApi({ HTTP_PORT: "0", API_KEYS: KEY });
    await api.deps.db.conn.run(
      "INSERT INTO profiles (profile_id, city) SELECT 'p' || i, CASE WHEN i % 4 = 0 THEN 'Paris' ELSE 'Nice' END FROM range(40) t(i)",
    );
    await api.segments.put("nice", {
      sql: "SELECT profile_id FROM profiles WHERE city = 'Nice'",
      description: "in Nice",
    });
    url = await listen(api.app, api.deps.config);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.[Symbol.asyncDispose]();
  });

  it("asks for the API key, then counts a typed segment, a picked one, dry-runs and previews", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // Failed fetches (the 401 before the key, the 400 for bad SQL) are expected; script errors are not.
    page.on(
      "console",
      (m) => m.type() === "error" && !/Failed to load resource/.test(m.text()) && errors.push(m.text()),
    );
    await page.goto(url);

    // The server wants a key: the key box shows, and nothing is listed until one is given.
    await page.locator("#auth").waitFor({ state: "visible" });
    await page.fill("#api-key", KEY);
    await page.click("#save-key");
    await page.locator("#segments li button", { hasText: "nice" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("nudge.apiKey"))).toBe(KEY);

    // Type a segment with a parameter, see its exact count.
    await page.fill("#segment-sql", "SELECT profile_id FROM profiles WHERE city = $city");
    await page.fill("#segment-params", '{"city": "Paris"}');
    await page.click("#count");
    await expect.poll(() => page.textContent("#count-result")).toBe("10");

    // Pick a stored segment.
    await page.click("#segments li button >> text=nice");
    await expect.poll(() => page.textContent("#count-result")).toBe("30");

    // Bad SQL shows DuckDB's message, not a count.
    await page.fill("#segment-sql", "SELEC nothing");
    await page.click("#count");
    await expect.poll(() => page.textContent("#count-error")).toMatch(/syntax error/i);

    // Dry-run a campaign: counts per step.
    await page.click("#campaigns tr:has-text('winback') button");
    await page.locator("#dry-run-steps").waitFor();
    const cells = await page.locator("#dry-run-steps tbody tr").allTextContents();
    expect(cells).toEqual(["audiencequery120", "parissplit40", "sendsend40"]);

    // Preview an email for a profile, in a sandboxed iframe.
    await page.selectOption("#preview-campaign", "welcome");
    await page.fill("#preview-profile", "p3");
    await page.click("#preview");
    await expect.poll(() => page.textContent("#preview-subject")).toBe("Hello p3");
    expect(await page.getAttribute("#preview-frame", "sandbox")).toBe("");
    await expect.poll(() => page.frameLocator("#preview-frame").locator("b").textContent()).toBe("p3");

    expect(errors).toEqual([]);
    await page.close();
  });
});
