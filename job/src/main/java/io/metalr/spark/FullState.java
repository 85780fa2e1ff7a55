package io.metalr.spark;

import java.io.Serializable;
import java.util.Map;

/**
 * A whole model state at a version: every tensor (all-tensors layout), the optimizer's state and
 * step count. What puts a new replica where the others are: at the start of the training stage,
 * and when it restarts after a failure ({@link ResidentStage}).
 */
final class FullState implements Serializable {

    private static final long serialVersionUID = 1L;
    private final long version;
    private final Floats tensors;
    private final Map<String, float[]> optimizerState;
    private final Map<String, long[]> shapes;
    private final long optimizerStep;

    FullState(long version, float[] tensors, Map<String, float[]> optimizerState, Map<String, long[]> shapes, long optimizerStep) {
        this.version = version;
        this.tensors = new Floats(tensors);
        this.optimizerState = optimizerState;
        this.shapes = shapes;
        this.optimizerStep = optimizerStep;
    }

    long version() {
        return version;
    }

    float[] tensors() {
        return tensors.values();
    }

    Map<String, float[]> optimizerState() {
        return optimizerState;
    }

    Map<String, long[]> shapes() {
        return shapes;
    }

    long optimizerStep() {
        return optimizerStep;
    }
}
