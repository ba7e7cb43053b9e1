#!/usr/bin/env node
// Tests: the managers' page is tested in Debian's headless Chromium (test/api-page.test.ts). Installs
// it with apt-get when missing and allowed (as CI does); otherwise says how, and that test is skipped.
import { existsSync } from "node:fs";
import { aptInstall } from "./apt.mjs";

const CHROMIUM = "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) aptInstall("chromium", "Chromium not found (the page test needs it)");
if (!existsSync(CHROMIUM)) {
  process.stderr.write(
    "nudge: Chromium is not installed, so the page test will be skipped (sudo apt-get install -y chromium).\n",
  );
}
