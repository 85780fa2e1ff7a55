package io.metalr.train.fit;

import io.metalr.train.StepReport;

/** Watches a {@link FitLoop}: every step (skipped ones too, marked) with its timing. */
@FunctionalInterface
public interface FitListener {

    /**
     * @param seconds the step's wall time
     * @param computeSeconds of it, the time computing (on a cluster the slowest shard's per round plus the driver's)
     * @param bytesMoved what the driver sent and received for the step (0 in-process)
     * @param executorBytes what the busiest executor sent and received for the step (0 in-process)
     */
    record StepTiming(double seconds, double computeSeconds, long bytesMoved, long executorBytes) {}

    void onStep(StepReport report, StepTiming timing);
}
