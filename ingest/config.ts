import { availableParallelism } from "node:os";
import { z } from "zod";
import { Duration } from "./duration.ts";
import { NudgeError } from "./errors.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Treats an empty variable as unset, per DESIGN.md. */
const env = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema);

const positiveInt = z.coerce.number().int().positive();

/**
 * Every setting nudge reads from the environment. Parsed once in `main`, frozen, passed down.
 *
 * @example const config = loadConfig(process.env);
 */
export const Config = z
  .object({
    NATS_URL: env(z.string().default("nats://127.0.0.1:4222")),
    DUCKDB_PATH: env(z.string().default("./data/nudge.duckdb")),
    DATA_DIR: env(z.string().default("./data")),
    SMTP_URL: env(z.string().url().optional()),
    MAIL_FROM: env(z.string().default("nudge <shop@nudge.localhost>")),
    HTTP_HOST: env(z.string().default("127.0.0.1")),
    HTTP_PORT: env(z.coerce.number().int().min(0).max(65535).default(3000)),
    API_KEYS: env(
      z
        .string()
        .transform((s) =>
          s
            .split(",")
            .map((k) => k.trim())
            .filter(Boolean),
        )
        .default([]),
    ),
    PUBLIC_URL: env(z.string().url().default("http://127.0.0.1:3000")),
    /** Base of links back to the shop in emails (cart, product fallbacks); unset: PUBLIC_URL. */
    SHOP_URL: env(z.string().url().optional()),
    UNSUBSCRIBE_SECRET: env(z.string().min(16).optional()),
    ABANDON_AFTER: env(Duration.default(2 * 3_600_000)),
    SESSION_GAP: env(Duration.default(30 * 60_000)),
    MIN_VIEWS: env(positiveInt.default(2)),
    LATENESS: env(Duration.default(5 * 60_000)),
    IDLE_ADVANCE: env(Duration.default(1_000)),
    SEND_RATE: env(z.coerce.number().positive().default(50)),
    FREQUENCY_CAP: env(positiveInt.default(3)),
    FREQUENCY_WINDOW: env(Duration.default(24 * 3_600_000)),
    QUIET_HOURS: env(
      z
        .string()
        .regex(/^\d{1,2}-\d{1,2}$/, "use START-END hours, e.g. 21-8")
        .optional(),
    ),
    BATCH_SIZE: env(positiveInt.default(500)),
    BATCH_DELAY: env(Duration.default(1_000)),
    /**
     * Worker threads that render, build MIME and send email (0: in the main thread). On 2 shared cores
     * (bench:email, 20k): 2 workers 603/s, 1 worker 511/s, the same CPU per email; the second worker
     * added ~190 MiB to peak RSS.
     */
    EMAIL_THREADS: env(z.coerce.number().int().min(0).max(64).default(Math.min(2, availableParallelism()))),
    MAX_IN_FLIGHT: env(positiveInt.default(100_000)),
    MODEL_REFRESH: env(Duration.default(10 * 60_000)),
    SEGMENTS_DIR: env(z.string().default("./segments")),
    CAMPAIGNS_DIR: env(z.string().default("./campaigns")),
    TEMPLATES_DIR: env(z.string().optional()),
    LOG_LEVEL: env(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
  })
  .superRefine((c, ctx) => {
    if (!LOOPBACK.has(c.HTTP_HOST) && c.API_KEYS.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["API_KEYS"],
        message: `required when HTTP_HOST (${c.HTTP_HOST}) is not loopback`,
      });
    }
  });
export type Config = z.infer<typeof Config>;

/** Parses the environment, reporting every problem at once. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = Config.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new NudgeError("NUDGE_ERR_CONFIG", `invalid configuration:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}

/** The config with secrets masked, for logs. */
export function redactConfig(config: Config): Record<string, unknown> {
  const mask = (url: string | undefined) => url?.replace(/\/\/([^:@/]+):([^@/]+)@/, "//$1:***@");
  return {
    ...config,
    SMTP_URL: mask(config.SMTP_URL),
    NATS_URL: mask(config.NATS_URL),
    API_KEYS: config.API_KEYS.map(() => "***"),
    UNSUBSCRIBE_SECRET: config.UNSUBSCRIBE_SECRET ? "***" : undefined,
  };
}
