/**
 * Worker-thread side of `workerDispatcher`: its own renderer and its own pooled SMTP transport (or
 * outbox); renders and builds MIME off the main thread. Messages: `{ jobs: [id, RenderJob][] }` in,
 * `{ done: [id, DispatchOutcome][] }` out.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createRenderer } from "../render/index.ts";
import { type DispatchOutcome, type RenderJob, renderAndSend } from "./dispatcher.ts";
import { outboxMailer, smtpMailer } from "./mailer.ts";

// Node's stream.pipeline (used by nodemailer for every message) aborts an AbortController when a
// stream finishes, which builds a DOMException with a stack trace: ~3% of this thread's time. Outcomes
// cross back as strings, so this thread needs no stack traces.
Error.stackTraceLimit = 0;

const data = workerData as {
  templatesDir?: string;
  smtpUrl?: string;
  outboxDir?: string;
  maxConnections?: number;
};
const renderer = createRenderer({ templatesDir: data.templatesDir });
const mailer = data.smtpUrl
  ? smtpMailer(data.smtpUrl, { maxConnections: data.maxConnections })
  : outboxMailer(data.outboxDir ?? "./data/outbox");

let done: [number, DispatchOutcome][] = [];
let flushing = false;
const flush = () => {
  flushing = false;
  const out = done;
  done = [];
  parentPort?.postMessage({ done: out });
};

parentPort?.postMessage({ ready: true });

parentPort?.on("message", (msg: { jobs?: [number, RenderJob][]; close?: boolean }) => {
  if (msg.close) {
    void mailer.close().then(() => parentPort?.close());
    return;
  }
  for (const [id, job] of msg.jobs ?? []) {
    void renderAndSend(renderer, mailer, job).then((outcome) => {
      done.push([id, outcome]);
      if (!flushing) {
        flushing = true;
        setImmediate(flush);
      }
    });
  }
});
