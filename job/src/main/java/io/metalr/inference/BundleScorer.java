package io.metalr.inference;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.device.Devices;
import io.metalr.model.ModelBundle;
import io.metalr.nn.Network;
import io.metalr.nn.Weights;
import io.metalr.udf.image.Preprocessor;
import io.metalr.udf.predict.Scorer;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A {@link ModelBundle} as a {@link Scorer}: eval-mode forward pass (batch-norm running
 * statistics) and softmax, as {@code Evaluator} scores a split during training.
 *
 * <p>Each call runs on the device of the Spark task that makes it ({@link Devices#forCurrentTask}:
 * the task's GPU when Spark assigned one, the CPU otherwise; outside a task, {@code auto}). The
 * weights are put on a device once, the first time a call needs them there, and kept for the
 * life of the JVM. Thread-safe: the weights are only read (eval mode moves no running
 * statistics), and each call's tensors live in a manager of its own, closed before it returns,
 * so concurrent calls share nothing mutable and native memory does not grow with calls.
 */
public final class BundleScorer implements Scorer {

    /** The device setting tasks resolve: their Spark GPU if any, else what the engine has. */
    static final String DEVICE_SETTING = "auto";

    private final ModelBundle bundle;
    private final Network network;
    private final ConcurrentMap<Device, Weights> onDevice = new ConcurrentHashMap<>();

    public BundleScorer(ModelBundle bundle) {
        this.bundle = bundle;
        this.network = bundle.network();
    }

    @Override
    public List<String> classes() {
        return bundle.classes();
    }

    @Override
    public Preprocessor preprocessor() {
        return bundle.preprocessor();
    }

    public ModelBundle bundle() {
        return bundle;
    }

    @Override
    public float[][] probabilities(float[][] batch) {
        Preprocessor pre = bundle.preprocessor();
        int per = pre.channels() * pre.height() * pre.width();
        int n = batch.length;
        float[][] out = new float[n][];
        if (n == 0) {
            return out;
        }
        // one batch of rows (Spark's batch size), not a data set: an int product cannot overflow here
        float[] flat = new float[Math.multiplyExact(n, per)];
        for (int i = 0; i < n; i++) {
            if (batch[i].length != per) {
                throw new IllegalArgumentException("input row " + i + " has " + batch[i].length + " values, the model takes "
                        + pre.channels() + "x" + pre.height() + "x" + pre.width() + " = " + per);
            }
            System.arraycopy(batch[i], 0, flat, i * per, per);
        }
        Weights weights = weightsOn(Devices.forCurrentTask(DEVICE_SETTING));
        int classes = network.numClasses();
        float[] prob;
        try (NDManager scratch = weights.manager().newSubManager()) {
            NDArray x = scratch.create(FloatBuffer.wrap(flat), new Shape(n, pre.channels(), pre.height(), pre.width()));
            prob = network.forward(weights.lookup(), x, false).softmax(1).toFloatArray();
        }
        for (int i = 0; i < n; i++) {
            out[i] = new float[classes];
            System.arraycopy(prob, i * classes, out[i], 0, classes);
        }
        return out;
    }

    private Weights weightsOn(Device device) {
        return onDevice.computeIfAbsent(device, d -> Weights.fromHost(network, bundle.weights(), d));
    }
}
