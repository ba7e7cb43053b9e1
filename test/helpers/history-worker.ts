// A history writer in its own process, for crash tests: `tsx history-worker.ts <natsUrl> <duckdbPath> <untilSeq>`.
// Prints "seq <n>" after each committed batch and exits 0 once the history holds everything up to untilSeq.
import { connectNats, openDb, startHistory } from "../../ingest/index.ts";

const [url, path, until] = process.argv.slice(2);
const nc = await connectNats(url!, "history-worker");
const db = await openDb(path!);
// Row groups of 700: batches gathered during a commit are cut at whole groups, the rest carried over.
const history = await startHistory({
  nc,
  db,
  batchDelayMs: 10,
  batchSize: 500,
  maxInFlight: 2_000,
  rowGroup: 700,
});
const timer = setInterval(() => process.stdout.write(`seq ${history.stats().lastSeq}\n`), 20);
await history.caughtUp(Number(until));
clearInterval(timer);
await history.stop();
db.close();
await nc.close();
process.stdout.write(`done ${history.stats().lastSeq}\n`);
