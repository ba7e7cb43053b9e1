import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, type EmbeddedNats, provision, startNats } from "../../ingest/index.ts";

export interface TestNats extends AsyncDisposable {
  server: EmbeddedNats;
  nc: NatsConnection;
  url: string;
}

/**
 * A real nats-server (JetStream, temp store, random loopback port), provisioned, with a connection.
 *
 * @example await using nats = await startTestNats();
 */
export async function startTestNats(
  opts: { provision?: boolean; configText?: string } = {},
): Promise<TestNats> {
  const server = await startNats({ configText: opts.configText });
  const nc = await connectNats(server.url, "nudge-test");
  if (opts.provision !== false) await provision(nc);
  return {
    server,
    nc,
    url: server.url,
    async [Symbol.asyncDispose]() {
      await nc.close().catch(() => {});
      await server.stop();
    },
  };
}
