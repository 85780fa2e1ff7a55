package io.metalr.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keeps a step's temporaries out of long-lived managers.
 *
 * <p>DJL attaches an operation's result to its first operand's manager, so {@code theta.mul(x)}
 * on a persistent weight would leak into the weights' manager on every step. An alias is a second
 * handle on the same storage (PyTorch {@code detach()}), owned by the step's manager: results of
 * operations on it land there, in-place operations on it change the original, and closing it
 * frees only the handle.
 */
public final class Scratch {

    private Scratch() {}

    public static NDArray alias(NDArray persistent, NDManager scratch) {
        NDArray a = persistent.stopGradient();
        a.attach(scratch);
        return a;
    }
}
