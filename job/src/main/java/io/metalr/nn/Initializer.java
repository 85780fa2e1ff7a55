package io.metalr.nn;

import java.util.Map;
import java.util.Random;

/**
 * Deterministic initial values, computed on the host from (seed, tensor name), so a model starts
 * bitwise-identical on any device, engine version or executor. The schemes are torchvision's:
 * Kaiming-normal (fan-out, ReLU) convolutions, PyTorch's default uniform linear layers, batch-norm
 * weight 1 and bias 0.
 */
public final class Initializer {

    private Initializer() {}

    public static float[] initial(ParamSpec spec, Map<String, ParamSpec> byName, long seed) {
        int n = Math.toIntExact(spec.size());
        float[] v = new float[n];
        Random rng = new Random(seed * 0x9E3779B97F4A7C15L + spec.name().hashCode());
        long[] s = spec.shape().getShape();
        switch (spec.kind()) {
            case CONV_WEIGHT -> {
                double fanOut = (double) s[0] * s[2] * s[3];
                double std = Math.sqrt(2.0 / fanOut);
                for (int i = 0; i < n; i++) {
                    v[i] = (float) (rng.nextGaussian() * std);
                }
            }
            case LINEAR_WEIGHT -> uniform(v, rng, 1.0 / Math.sqrt(s[1]));
            case BIAS -> {
                ParamSpec weight = byName.get(spec.name().replaceFirst("\\.bias$", ".weight"));
                long[] w = weight.shape().getShape();
                long fanIn = 1;
                for (int i = 1; i < w.length; i++) {
                    fanIn *= w[i];
                }
                uniform(v, rng, 1.0 / Math.sqrt(fanIn));
            }
            case BN_WEIGHT, RUNNING_VAR -> java.util.Arrays.fill(v, 1f);
            case BN_BIAS, RUNNING_MEAN -> { }
            default -> throw new IllegalStateException("unknown kind " + spec.kind());
        }
        return v;
    }

    private static void uniform(float[] v, Random rng, double bound) {
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
    }
}
