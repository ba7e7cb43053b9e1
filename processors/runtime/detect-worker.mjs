// Worker entry for the processors' detect thread: registers tsx's loader in this thread (the tsx
// CLI's loader does not reach worker threads), then loads the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./detect-worker.ts");
