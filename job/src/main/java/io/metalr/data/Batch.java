package io.metalr.data;

import ai.djl.ndarray.NDArray;

/**
 * A batch on the device: images {@code (N, C, H, W)} float32 and int64 labels {@code (N)}, owned by
 * the manager that created them (a step's scratch manager).
 */
public record Batch(NDArray x, NDArray y) {

    public int size() {
        return Math.toIntExact(y.size());
    }
}
