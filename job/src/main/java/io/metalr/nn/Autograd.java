package io.metalr.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.metalr.device.CpuQuirks;

/**
 * Records a forward pass for one backward, on the calling thread only.
 *
 * <p>DJL's {@code PtGradientCollector} allows one collector per JVM, but Spark runs several tasks
 * per executor JVM; PyTorch's grad mode is thread-local, so this scope is too. Outside a scope
 * grad mode is off, which is what in-place optimizer updates need.
 */
public final class Autograd implements AutoCloseable {

    static {
        // the CPU's kernel choices before libtorch's first primitive; then libtorch must be loaded
        // before the first JNI call (on a fresh executor nothing else did)
        CpuQuirks.apply();
        ai.djl.engine.Engine.getInstance();
    }

    private Autograd() {
        JniUtils.setGradMode(true);
    }

    public static Autograd record() {
        return new Autograd();
    }

    /** Grad mode is on by default in a new PyTorch thread: a task thread calls this before any work. */
    public static void disableOnThisThread() {
        JniUtils.setGradMode(false);
    }

    /** Backpropagates a scalar; gradients land on the leaves that require them. */
    public void backward(NDArray scalarLoss) {
        try (NDArray ones = scalarLoss.onesLike()) {
            JniUtils.backward((PtNDArray) scalarLoss, (PtNDArray) ones, false, false);
        }
    }

    @Override
    public void close() {
        JniUtils.setGradMode(false);
    }
}
