/**
 * A local smtp-server that accepts and discards everything (for bench/email.ts), in its own process
 * so its CPU is not charged to the sender. Prints `port <n>` and counts messages on SIGUSR2/exit.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

let count = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  maxClients: 1_000,
  onData(stream, _session, cb) {
    stream.on("end", () => {
      count++;
      cb(null, "250 ok");
    });
    stream.resume();
  },
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`port ${(server.server.address() as AddressInfo).port}\n`);
});
process.on("message", () => process.send?.({ count }));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
