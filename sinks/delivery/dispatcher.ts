// ingest/errors.ts, not ingest/index.ts: this runs in the email worker threads too, where the index
// (DuckDB, NATS, Arrow) would cost each thread ~45 MB of RSS (measured).
import { isNudgeError, messageOf } from "../../ingest/errors.ts";
import type { RenderContext, Renderer } from "../render/index.ts";
import type { DeliveryOutcome, Mailer, OutgoingEmail } from "./mailer.ts";

/** Everything needed to render and send one email; plain data, so it can cross to a worker thread. */
export interface RenderJob {
  template: string;
  ctx: RenderContext;
  mail: Omit<OutgoingEmail, "subject" | "html" | "text">;
}

/** A delivery outcome, or a template that could not render (permanent, not the recipient's fault). */
export type DispatchOutcome = DeliveryOutcome | { ok: false; permanent: true; template: true; error: string };

/** Renders and sends one email per call: in this thread, or spread over worker threads. */
export interface Dispatcher {
  readonly describe: string;
  dispatch(job: RenderJob): Promise<DispatchOutcome>;
  close(): Promise<void>;
}

/** Renders and sends in the calling thread. */
export function renderAndSend(renderer: Renderer, mailer: Mailer, job: RenderJob): Promise<DispatchOutcome> {
  let content: { subject: string; html: string; text: string };
  try {
    content = renderer.render(job.template, job.ctx);
  } catch (err) {
    const error = isNudgeError(err) ? err.message : `template ${job.template}: ${messageOf(err)}`;
    return Promise.resolve({ ok: false, permanent: true, template: true, error });
  }
  return mailer.send({ ...job.mail, ...content });
}

/**
 * The default dispatcher: render and send in this thread.
 *
 * @example const dispatcher = inProcessDispatcher(createRenderer(), mailerFromConfig(config));
 */
export function inProcessDispatcher(renderer: Renderer, mailer: Mailer): Dispatcher {
  return {
    describe: mailer.describe,
    dispatch: (job) => renderAndSend(renderer, mailer, job),
    close: () => mailer.close(),
  };
}
