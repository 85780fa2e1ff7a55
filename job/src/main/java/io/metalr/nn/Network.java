package io.metalr.nn;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * A network architecture as a pure function: the ordered tensors it needs and a forward pass that
 * reads them from a {@link ParamLookup}. Holding no state, one instance serves any number of
 * weight sets (the model, the lookahead theta', an executor's replica).
 */
public interface Network {

    /** The registry name, e.g. {@code resnet18}. */
    String name();

    /** Every tensor in state-dict order: trainable parameters and batch-norm buffers. */
    List<ParamSpec> params();

    int inChannels();

    int numClasses();

    /** The state-dict prefix of the classification head, replaced when the class count changes. */
    default String headPrefix() {
        return "fc.";
    }

    /**
     * Logits for a batch {@code (N, C, H, W)}. In training mode batch-norm uses the batch
     * statistics and updates the running buffers in place (PyTorch semantics, momentum 0.1).
     */
    NDArray forward(ParamLookup p, NDArray x, boolean training);

    default long trainableCount() {
        return params().stream().filter(ParamSpec::trainable).mapToLong(ParamSpec::size).sum();
    }
}
