package io.metalr.bench;

import io.metalr.spark.DistributedTrainer;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The medians of a distributed run's steps after its warm-up steps (which build the replicas and
 * let the JIT compile): wall ms, compute ms as the engine counts it, bytes through the driver and
 * the busiest executor's bytes.
 */
record SparkSteps(int timed, double ms, double computeMs, double driverBytes, double executorBytes) {

    static SparkSteps of(List<DistributedTrainer.Step> steps, int warmUp) {
        if (steps.size() <= warmUp) {
            throw new IllegalArgumentException("the run took " + steps.size() + " steps, none after the "
                    + warmUp + " warm-up steps");
        }
        List<DistributedTrainer.Step> t = steps.subList(warmUp, steps.size());
        return new SparkSteps(t.size(), median(t, s -> s.seconds() * 1000), median(t, s -> s.computeSeconds() * 1000),
                median(t, s -> s.bytesMoved()), median(t, s -> s.executorBytes()));
    }

    /** Bytes through the driver per step, in MB of 10^6 bytes. */
    double driverMb() {
        return driverBytes / 1e6;
    }

    private static double median(List<DistributedTrainer.Step> steps, ToDoubleFunction<DistributedTrainer.Step> f) {
        return BenchOutput.median(steps.stream().mapToDouble(f).toArray());
    }
}
