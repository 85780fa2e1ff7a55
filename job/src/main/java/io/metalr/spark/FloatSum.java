package io.metalr.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * A sum of float vectors from shards, for their mean. Adding a few floats in double is exact
 * unless their exponents lie more than 29 binary orders apart, so the sum, rounded to float once
 * at the end, does not depend on the order in which tasks finish: a run is repeatable.
 *
 * <p>One or two vectors are kept as they are and added only when the mean is taken, in one pass
 * (the common case: two shards meeting at the driver, 47 MB each for ResNet-18); from three on
 * they are summed in double. Either way the mean is the same number.
 */
final class FloatSum implements Serializable {

    private static final long serialVersionUID = 1L;

    private transient float[] first;
    private transient float[] second;
    private double[] sum;

    private FloatSum(float[] first, float[] second, double[] sum) {
        this.first = first;
        this.second = second;
        this.sum = sum;
    }

    static FloatSum of(float[] v) {
        return v == null ? null : new FloatSum(v, null, null);
    }

    /** This plus {@code o}; either may be null (nothing). The arguments are not modified. */
    static FloatSum add(FloatSum a, FloatSum b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        if (a.sum == null && b.sum == null && a.second == null && b.second == null) {
            return new FloatSum(a.first, b.first, null);
        }
        double[] out = a.toDouble();
        b.addTo(out);
        return new FloatSum(null, null, out);
    }

    /**
     * The mean of the {@code count} vectors summed, as float. Chunks run in parallel: this is the
     * driver's work between two rounds, while the executors wait.
     */
    float[] mean(int count) {
        int n = sum != null ? sum.length : first.length;
        float[] out = new float[n];
        int chunk = 1 << 20;
        // dividing by a power of two is multiplying by its exact reciprocal, at a fraction of the cost
        boolean exact = Integer.bitCount(count) == 1;
        double scale = 1.0 / count;
        java.util.stream.IntStream.range(0, (n + chunk - 1) / chunk).parallel().forEach(c -> {
            int from = c * chunk;
            int to = Math.min(n, from + chunk);
            if (sum != null) {
                for (int i = from; i < to; i++) {
                    out[i] = (float) (exact ? sum[i] * scale : sum[i] / count);
                }
            } else if (second != null) {
                for (int i = from; i < to; i++) {
                    double v = (double) first[i] + second[i];
                    out[i] = (float) (exact ? v * scale : v / count);
                }
            } else {
                for (int i = from; i < to; i++) {
                    out[i] = (float) (exact ? first[i] * scale : (double) first[i] / count);
                }
            }
        });
        return out;
    }

    private double[] toDouble() {
        if (sum != null) {
            return sum.clone();
        }
        double[] d = new double[first.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = first[i];
        }
        if (second != null) {
            addFloats(d, second);
        }
        return d;
    }

    private void addTo(double[] out) {
        if (out.length != (sum != null ? sum.length : first.length)) {
            throw new IllegalStateException("shard results of different lengths: " + out.length);
        }
        if (sum != null) {
            for (int i = 0; i < out.length; i++) {
                out[i] += sum[i];
            }
        } else {
            addFloats(out, first);
            if (second != null) {
                addFloats(out, second);
            }
        }
    }

    private static void addFloats(double[] out, float[] v) {
        for (int i = 0; i < out.length; i++) {
            out[i] += v[i];
        }
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        FloatCodec.write(out, first);
        FloatCodec.write(out, second);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        first = FloatCodec.read(in);
        second = FloatCodec.read(in);
    }
}
