package io.metalr.spark;

/**
 * How shards compute the hypergradient. {@code LOCAL}: each shard looks ahead along its own
 * gradient (one round per step). {@code GLOBAL}: two rounds; the lookahead uses the aggregated
 * direction, so the hypergradient is exactly that of one process over the same micro-batches.
 */
public enum MetaMode {
    LOCAL,
    GLOBAL
}
