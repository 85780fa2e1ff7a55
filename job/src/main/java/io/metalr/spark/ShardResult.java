package io.metalr.spark;

import java.io.Serializable;

/**
 * What shards send back, added up by {@code treeAggregate}: gradients and batch-norm statistics
 * as {@link FloatSum}s (order-independent, so a run is repeatable), the rest as plain sums.
 */
public final class ShardResult implements Serializable {

    private static final long serialVersionUID = 1L;

    int shards;
    /** Shards whose replica was missing or behind and computed nothing (see {@link ShardWorker}). */
    int stale;
    /** Shards whose data was not in their task's JVM (see {@link ShardPartitions#fromStores}). */
    int missing;
    FloatSum grad;
    FloatSum buffers;
    /** The shards' validation gradients at the lookahead (exact cosine rule only, else null). */
    FloatSum valGrad;
    double[] dot;
    double[] valNormSq;
    double[] dirNormSq;
    /** Each shard's mean training loss times its batch size, summed (divided by {@link #count}: the step's mean). */
    double loss;
    double metaLoss;
    long correct;
    long count;
    /** Compute time inside DJL on the executors, summed, for the overhead figures. */
    double computeSeconds;
    double maxComputeSeconds;

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

    /** A shard's answer when its task found its stores missing: nothing computed. */
    static ShardResult missing() {
        ShardResult r = new ShardResult();
        r.shards = 1;
        r.missing = 1;
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
        if (stale > 0 || o.stale > 0 || missing > 0 || o.missing > 0) {
            // the round is repeated (with the whole state, or after the stores are rebuilt): only the counts matter
            ShardResult r = new ShardResult();
            r.shards = shards + o.shards;
            r.stale = stale + o.stale;
            r.missing = missing + o.missing;
            return r;
        }
        if ((grad == null) != (o.grad == null) || (buffers == null) != (o.buffers == null)
                || (valGrad == null) != (o.valGrad == null)) {
            throw new IllegalStateException("a shard result lacks an array the other has");
        }
        grad = FloatSum.add(grad, o.grad);
        buffers = FloatSum.add(buffers, o.buffers);
        valGrad = FloatSum.add(valGrad, o.valGrad);
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
        return grad == null ? null : grad.mean(shards);
    }

    float[] meanValGrad() {
        return valGrad == null ? null : valGrad.mean(shards);
    }

    float[] meanBuffers() {
        return buffers == null ? null : buffers.mean(shards);
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
