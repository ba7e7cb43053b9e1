#!/usr/bin/env node
// Makes sure a nats-server can be had before the demo or the tests run (plain JS: runs before any build).
//   --binary      tests: a nats-server binary must be installed (tests start their own servers)
//   (default)     demo: a server reachable at NATS_URL with JetStream, or an installed binary
// When neither is there, installs Debian's nats-server with apt-get (as root, or with passwordless sudo);
// otherwise says how and exits 1.
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { aptInstall } from "./apt.mjs";

const needBinary = process.argv.includes("--binary");
const candidates = [
  ...(process.env.PATH ?? "").split(":").map((d) => `${d}/nats-server`),
  "/usr/sbin/nats-server",
  "/usr/bin/nats-server",
];
const installed = () => candidates.some((p) => p.startsWith("/") && existsSync(p));

function reachable(url) {
  const m = /^nats:\/\/(?:[^@/]*@)?([^:/]+):(\d+)/.exec(url);
  if (!m) return Promise.resolve(false);
  return new Promise((resolve) => {
    const sock = connect({ host: m[1], port: Number(m[2]) });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1500, () => done(false));
    sock.once("data", (d) => done(d.toString().startsWith("INFO")));
    sock.once("error", () => done(false));
  });
}

if (installed()) process.exit(0);
const url = process.env.NATS_URL || "nats://127.0.0.1:4222";
if (!needBinary && process.env.NATS_URL && (await reachable(url))) process.exit(0);

if (aptInstall("nats-server", "nats-server not found") && installed()) process.exit(0);
process.stderr.write(
  [
    "nudge: no nats-server is installed and none could be installed automatically.",
    "  Debian/Ubuntu: sudo apt-get install -y nats-server",
    "  elsewhere:     https://docs.nats.io/running-a-nats-service/introduction/installation",
    needBinary
      ? "  (the tests start their own nats-server, so the binary is needed)"
      : "  or set NATS_URL to a running server with JetStream (-js).",
    "",
  ].join("\n"),
);
process.exit(1);
