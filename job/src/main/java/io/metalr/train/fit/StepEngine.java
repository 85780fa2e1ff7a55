package io.metalr.train.fit;

import io.metalr.eval.ClassificationMetrics;
import io.metalr.meta.GroupSums;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a run's steps are computed: in this process ({@link InProcessEngine}) or on Spark's
 * executors ({@code io.metalr.spark.SparkEngine}). {@link FitLoop} drives it one step at a time:
 * {@link #compute}, then {@link #commit} with the rates its {@link LrController} chose, or
 * {@link #abandon} when the training loss was not finite. An engine holds the run's data (which
 * batch a step takes is the engine's, from {@link io.metalr.data.Shards}) and the model.
 */
public interface StepEngine extends AutoCloseable {

    /** The held-out splits an engine evaluates. */
    enum EvalSplit { VAL, TEST }

    /** One step to compute, at the rates {@code lr}; {@code metaStep}: with a meta pass. */
    record StepRequest(int epoch, int stepInEpoch, long step, double[] lr, boolean metaStep) {}

    /**
     * A step's numbers before the rates move: training loss (the mean over the step's images, or
     * over its shards' means), correct predictions and images; after a meta pass its loss and
     * per-group sums (null without one); the compute time inside it; the bytes that passed through
     * the driver, and the bytes the busiest executor sent and received (both 0 in-process).
     */
    record StepSums(double trainLoss, long correct, int count, double metaLoss, GroupSums sums,
            double computeSeconds, long bytesMoved, long executorBytes) {}

    /** The model as a checkpoint keeps it: every tensor, the optimizer's state, shapes and step count. */
    record ModelSnapshot(LinkedHashMap<String, float[]> tensors, Map<String, float[]> optimizerState,
            Map<String, long[]> optimizerShapes, long optimizerStep) {}

    int stepsPerEpoch();

    /** A line for the run's log on how the engine divides the data (e.g. a meta hold-out); null: nothing to say. */
    default String dataNote() {
        return null;
    }

    /** Training images a step takes (all shards'), for the progress line. */
    int imagesPerStep();

    /** Shards the data is cut into; 1 in-process. */
    int shards();

    /** Computes a step: gradients, running statistics staged, the meta pass when requested. */
    StepSums compute(StepRequest r);

    /** Applies the computed step at the rates {@code lr}: theta -= lr[group] * u, statistics committed. */
    void commit(double[] lr);

    /** Drops the computed step (its loss was not finite): nothing moves. */
    void abandon();

    /** A host copy of the model and optimizer. */
    ModelSnapshot snapshot();

    /** Puts a snapshot's model and optimizer in place (a resumed run). */
    void load(ModelSnapshot s);

    /** A host copy of the weights. */
    LinkedHashMap<String, float[]> weights();

    /** Sets the weights (the selected epoch's, for the test); no step may follow. */
    void loadWeights(Map<String, float[]> tensors);

    /** Metrics of the current weights on a split; null when the run has no such split. */
    ClassificationMetrics evaluate(EvalSplit split);

    @Override
    void close();
}
