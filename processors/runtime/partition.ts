/**
 * Scale-out by profile partition. The server, not nudge, assigns partitions: a subject mapping in
 * the nats-server config inserts the partition number computed from the profile token, so producers
 * keep publishing `events.<type>.<p>` and the stream stores `events.<type>.<n>.<p>`. Each processor
 * instance owns one partition through a durable consumer filtered on `events.*.<n>.*`.
 */
export interface Partition {
  index: number;
  count: number;
}

/**
 * The nats-server config (2.9+) that partitions EVENTS into `count` partitions by profile token.
 * Change `count` only on an empty stream or with a re-partitioning plan: a profile's events must all
 * land in one partition, or its cart is split between two instances.
 *
 * @example partitionMapping(4) // mappings = { "events.*.*": "events.{{wildcard(1)}}.{{partition(4,2)}}.{{wildcard(2)}}" }
 */
export function partitionMapping(count: number): string {
  return `mappings = {\n  "events.*.*": "events.{{wildcard(1)}}.{{partition(${count},2)}}.{{wildcard(2)}}"\n}\n`;
}

/** The consumer filter of partition `index`. */
export function partitionFilter(index: number): string {
  return `events.*.${index}.*`;
}

/** The durable name (and checkpoint key) of an instance: `processors`, or `processors-p<i>`. */
export function processorName(partition?: Partition): string {
  return partition ? `processors-p${partition.index}` : "processors";
}
