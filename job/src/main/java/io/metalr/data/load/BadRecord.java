package io.metalr.data.load;

import java.io.Serializable;

/**
 * A record that failed to decode, as a task reports it: returned, not thrown, so Spark does not
 * retry a task (and its costly decodes) for bad data. {@code message} names the row.
 */
public record BadRecord(long rid, String message) implements Serializable {}
