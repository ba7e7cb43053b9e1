// Limits of the event contract, in a module of their own: the decode threads import them without
// loading the NATS client (which costs a worker thread ~0.1 s and ~10 MB to load).

/** Largest accepted event body, in bytes; bigger ones go to dlq.events.oversize. */
export const MAX_EVENT_BYTES = 64 * 1024;
