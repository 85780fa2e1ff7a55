package io.metalr.spark;

import java.io.Serializable;

/**
 * What the driver broadcasts for one round of a step: every tensor of the model (weights and
 * batch-norm buffers, in the all-tensors layout), the group learning rates, the step's
 * coordinates, and for the second round of a global meta step the lookahead direction (in the
 * learnable layout).
 */
public record StepInput(float[] tensors, double[] lr, int epoch, int stepInEpoch, long step, boolean metaStep,
        float[] direction) implements Serializable {}
