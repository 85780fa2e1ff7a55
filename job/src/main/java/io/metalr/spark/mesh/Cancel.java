package io.metalr.spark.mesh;

/**
 * Polled while the mesh blocks: true once the task was killed ({@code TaskContext::isInterrupted}
 * in Spark). Plain socket reads ignore {@link Thread#interrupt}, so a killed task would otherwise
 * sit in a read until its peer gives up.
 */
@FunctionalInterface
public interface Cancel {

    Cancel NEVER = () -> false;

    boolean cancelled();
}
