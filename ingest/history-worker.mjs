// Worker entry for the history writer's decode thread: registers tsx's loader in this thread (the tsx
// CLI's loader does not reach worker threads), then loads the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./history-worker.ts");
