package io.metalr.nn;

import ai.djl.ndarray.types.Shape;

/**
 * One named tensor of a network, in PyTorch's state-dict naming ({@code layer1.0.bn1.running_mean}),
 * so that weights exported from PyTorch load by name.
 *
 * @param name the state-dict name
 * @param shape the tensor's shape
 * @param kind what the tensor is, which decides its initialisation and whether it is trained
 */
public record ParamSpec(String name, Shape shape, Kind kind) {

    /** What a tensor is; running statistics are buffers, everything else is trained. */
    public enum Kind {
        CONV_WEIGHT,
        LINEAR_WEIGHT,
        BIAS,
        BN_WEIGHT,
        BN_BIAS,
        RUNNING_MEAN,
        RUNNING_VAR;

        public boolean trainable() {
            return this != RUNNING_MEAN && this != RUNNING_VAR;
        }
    }

    public boolean trainable() {
        return kind.trainable();
    }

    public long size() {
        return shape.size();
    }
}
