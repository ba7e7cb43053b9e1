// Installs a Debian package with apt-get when this process may (root, or passwordless sudo); plain JS,
// shared by the ensure-* scripts that run before any build. Returns whether apt-get was run.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export function aptInstall(pkg, why) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const sudo = !isRoot && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
  if (!existsSync("/usr/bin/apt-get") || !(isRoot || sudo)) return false;
  process.stderr.write(`nudge: ${why}; installing Debian's ${pkg} with apt-get…\n`);
  const run = (args) =>
    execFileSync(sudo ? "sudo" : args[0], sudo ? ["-n", ...args] : args.slice(1), {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  try {
    run(["apt-get", "update", "-qq"]);
    run(["apt-get", "install", "-y", "-qq", pkg]);
  } catch {
    // the caller checks what is installed and says what to do
  }
  return true;
}
