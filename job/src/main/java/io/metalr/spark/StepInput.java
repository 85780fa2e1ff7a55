package io.metalr.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * What the driver broadcasts for one round of a step: every tensor of the model (weights and
 * batch-norm buffers, in the all-tensors layout; null for a second round, whose shards already
 * hold them), the group learning rates, the step's coordinates, and for the second round of a
 * global meta step the lookahead direction (in the learnable layout). The arrays travel in bulk.
 */
public final class StepInput implements Serializable {

    private static final long serialVersionUID = 1L;

    private transient float[] tensors;
    private final double[] lr;
    private final int epoch;
    private final int stepInEpoch;
    private final long step;
    private final boolean metaStep;
    private transient float[] direction;

    public StepInput(float[] tensors, double[] lr, int epoch, int stepInEpoch, long step, boolean metaStep, float[] direction) {
        this.tensors = tensors;
        this.lr = lr;
        this.epoch = epoch;
        this.stepInEpoch = stepInEpoch;
        this.step = step;
        this.metaStep = metaStep;
        this.direction = direction;
    }

    public float[] tensors() {
        return tensors;
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

    public float[] direction() {
        return direction;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        FloatCodec.write(out, tensors);
        FloatCodec.write(out, direction);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        tensors = FloatCodec.read(in);
        direction = FloatCodec.read(in);
    }
}
