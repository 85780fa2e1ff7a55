package io.metalr.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.Map;

/**
 * What the driver broadcasts for one round of a step. Executors keep their own copy of the model
 * ({@link ModelState}), so weights do not travel: a round names the model version it runs at, and
 * carries the update that brings a copy from the previous version to it. Only a copy that is
 * missing or behind (a new or replaced executor) needs the {@link FullState}, which the driver
 * sends in a second attempt of the round when some shard reported itself stale.
 *
 * <p>Round one carries the update of the previous step; round two of a global meta step carries the
 * step's mean gradient and batch-norm statistics, from which every copy computes the optimizer's
 * direction (the lookahead direction, and the update the next round one applies). Arrays travel in
 * bulk.
 */
public final class StepInput implements Serializable {

    private static final long serialVersionUID = 2L;

    /**
     * A step's mean gradient (learnable layout) and batch-norm statistics (buffers layout). As an
     * update it brings a copy from {@code version - 1} to the round's version: {@code theta -= lr * u}
     * with the round's learning rates and u the optimizer's direction from the gradient; both null
     * there: u is the direction the copy computed in the previous step's round two (and the
     * statistics those it received there).
     */
    public static final class Means implements Serializable {
        private static final long serialVersionUID = 1L;
        private transient float[] gradient;
        private transient float[] buffers;

        Means(float[] gradient, float[] buffers) {
            this.gradient = gradient;
            this.buffers = buffers;
        }

        float[] gradient() {
            return gradient;
        }

        float[] buffers() {
            return buffers;
        }

        long floats() {
            return (gradient == null ? 0 : gradient.length) + (buffers == null ? 0 : buffers.length);
        }

        private void writeObject(ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            FloatCodec.write(out, gradient);
            FloatCodec.write(out, buffers);
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            gradient = FloatCodec.read(in);
            buffers = FloatCodec.read(in);
        }
    }

    /** A whole model state: every tensor (all-tensors layout), the optimizer's state and step count. */
    public static final class FullState implements Serializable {
        private static final long serialVersionUID = 1L;
        private final long version;
        private transient float[] tensors;
        private final Map<String, float[]> optimizerState;
        private final Map<String, long[]> shapes;
        private final long optimizerStep;

        FullState(long version, float[] tensors, Map<String, float[]> optimizerState, Map<String, long[]> shapes, long optimizerStep) {
            this.version = version;
            this.tensors = tensors;
            this.optimizerState = optimizerState;
            this.shapes = shapes;
            this.optimizerStep = optimizerStep;
        }

        long version() {
            return version;
        }

        float[] tensors() {
            return tensors;
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

        private void writeObject(ObjectOutputStream out) throws IOException {
            out.defaultWriteObject();
            FloatCodec.write(out, tensors);
        }

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            tensors = FloatCodec.read(in);
        }
    }

    private final long version;
    private final Means update;
    private final FullState full;
    private final double[] lr;
    private final int epoch;
    private final int stepInEpoch;
    private final long step;
    private final boolean metaStep;
    /** Round two only: the step's means, from which every copy computes the optimizer's direction. */
    private final Means lookahead;

    private StepInput(long version, Means update, FullState full, double[] lr, int epoch, int stepInEpoch, long step,
            boolean metaStep, Means lookahead) {
        this.version = version;
        this.update = update;
        this.full = full;
        this.lr = lr;
        this.epoch = epoch;
        this.stepInEpoch = stepInEpoch;
        this.step = step;
        this.metaStep = metaStep;
        this.lookahead = lookahead;
    }

    /** Round one at {@code version}; {@code update} (may be null) leads to it from the version before. */
    static StepInput gradients(long version, Means update, double[] lr, int epoch, int stepInEpoch, long step, boolean metaStep) {
        return new StepInput(version, update, null, lr, epoch, stepInEpoch, step, metaStep, null);
    }

    /** Round two of a global meta step at {@code version}, with the step's mean gradient and statistics. */
    static StepInput lookahead(long version, double[] lr, int epoch, int stepInEpoch, long step, float[] gradient, float[] buffers) {
        return new StepInput(version, null, null, lr, epoch, stepInEpoch, step, true, new Means(gradient, buffers));
    }

    /** The same round, also carrying the whole state for copies that are missing or behind. */
    StepInput withFullState(FullState state) {
        return new StepInput(version, update, state, lr, epoch, stepInEpoch, step, metaStep, lookahead);
    }

    long version() {
        return version;
    }

    Means update() {
        return update;
    }

    FullState full() {
        return full;
    }

    public double[] lr() {
        return lr;
    }

    public int epoch() {
        return epoch;
    }

    public int stepInEpoch() {
        return stepInEpoch;
    }

    public long step() {
        return step;
    }

    public boolean metaStep() {
        return metaStep;
    }

    /** Round two's means; null in round one. */
    Means lookahead() {
        return lookahead;
    }

    /** Floats this input carries, for the bytes-moved figure. */
    long floats() {
        return (update == null ? 0 : update.floats()) + (full == null ? 0 : full.tensors.length
                + full.optimizerState.values().stream().mapToLong(v -> v.length).sum())
                + (lookahead == null ? 0 : lookahead.floats());
    }
}
