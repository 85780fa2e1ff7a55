package io.metalr.spark;

import java.io.Serializable;

/**
 * What shards send back, added up by {@code treeAggregate}. A single shard's gradient travels as
 * float; once two results meet they are summed in double, where adding a few floats is exact
 * unless their exponents lie more than 29 binary orders apart, so the total (rounded to float once,
 * at the end) does not depend on the order in which tasks finish: a run is repeatable.
 */
public final class ShardResult implements Serializable {

    private static final long serialVersionUID = 1L;

    int shards;
    /** Shards whose replica was missing or behind and computed nothing (see {@link ShardWorker}). */
    int stale;
    transient float[] grad;
    double[] gradSum;
    transient float[] buffers;
    double[] bufferSum;
    double[] dot;
    double[] valNormSq;
    double[] dirNormSq;
    double loss;
    double metaLoss;
    long correct;
    long count;
    /** Compute time inside DJL on the executors, summed, for the overhead figures. */
    double computeSeconds;
    double maxComputeSeconds;

    private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
        out.defaultWriteObject();
        FloatCodec.write(out, grad);
        FloatCodec.write(out, buffers);
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
        in.defaultReadObject();
        grad = FloatCodec.read(in);
        buffers = FloatCodec.read(in);
    }

    static ShardResult empty() {
        return new ShardResult();
    }

    /** A shard's answer when its replica could not reach the round's model version. */
    static ShardResult stale() {
        ShardResult r = new ShardResult();
        r.shards = 1;
        r.stale = 1;
        return r;
    }

    /** Adds another result into this one (either may be the empty zero value). */
    ShardResult merge(ShardResult o) {
        if (o.shards == 0) {
            return this;
        }
        if (shards == 0) {
            return o;
        }
        if (stale > 0 || o.stale > 0) {
            // the round is repeated with the whole state: only the count matters
            ShardResult r = new ShardResult();
            r.shards = shards + o.shards;
            r.stale = stale + o.stale;
            return r;
        }
        gradSum = add(gradSum, grad, o.gradSum, o.grad);
        grad = null;
        bufferSum = add(bufferSum, buffers, o.bufferSum, o.buffers);
        buffers = null;
        dot = add(dot, o.dot);
        valNormSq = add(valNormSq, o.valNormSq);
        dirNormSq = add(dirNormSq, o.dirNormSq);
        shards += o.shards;
        loss += o.loss;
        metaLoss += o.metaLoss;
        correct += o.correct;
        count += o.count;
        computeSeconds += o.computeSeconds;
        maxComputeSeconds = Math.max(maxComputeSeconds, o.maxComputeSeconds);
        return this;
    }

    /** The mean over shards, as float (the sum was exact in double). */
    float[] meanGrad() {
        return mean(gradSum, grad);
    }

    float[] meanBuffers() {
        return mean(bufferSum, buffers);
    }

    private float[] mean(double[] sum, float[] single) {
        if (sum == null && single == null) {
            return null;
        }
        float[] out = new float[sum != null ? sum.length : single.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((sum != null ? sum[i] : single[i]) / shards);
        }
        return out;
    }

    private static double[] add(double[] aSum, float[] a, double[] bSum, float[] b) {
        boolean hasA = aSum != null || a != null;
        boolean hasB = bSum != null || b != null;
        if (!hasA && !hasB) {
            return null;
        }
        if (hasA != hasB) {
            throw new IllegalStateException("a shard result lacks an array the other has");
        }
        double[] out = aSum != null ? aSum : toDouble(a);
        if (bSum != null) {
            for (int i = 0; i < out.length; i++) {
                out[i] += bSum[i];
            }
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] += b[i];
            }
        }
        return out;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double[] add(double[] a, double[] b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        double[] out = a.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += b[i];
        }
        return out;
    }
}
