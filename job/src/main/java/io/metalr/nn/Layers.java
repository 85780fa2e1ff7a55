package io.metalr.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import io.metalr.device.CpuQuirks;

import java.util.List;

/**
 * Functional layers over named tensors, with PyTorch's conventions, plus the matching
 * {@link ParamSpec} declarations so that a network's spec list and its forward pass use one name
 * for each tensor.
 */
public final class Layers {

    /** PyTorch's default batch-norm eps. */
    public static final float BN_EPS = 1e-5f;
    /** DJL's momentum is the weight of the old value: 0.9 here is PyTorch's momentum 0.1. */
    private static final float DJL_BN_MOMENTUM = 0.9f;

    static {
        CpuQuirks.apply(); // before the first convolution reaches oneDNN
    }

    private Layers() {}

    public static NDArray conv(
            ParamLookup p, String name, NDArray x, int stride, int padding, boolean bias) {
        NDArray b = bias ? p.get(name + ".bias") : null;
        return Conv2d.conv2d(
                        x,
                        p.get(name + ".weight"),
                        b,
                        new Shape(stride, stride),
                        new Shape(padding, padding),
                        new Shape(1, 1),
                        1)
                .singletonOrThrow();
    }

    public static NDArray batchNorm(ParamLookup p, String name, NDArray x, boolean training) {
        return BatchNorm.batchNorm(
                        x,
                        p.get(name + ".running_mean"),
                        p.get(name + ".running_var"),
                        p.get(name + ".weight"),
                        p.get(name + ".bias"),
                        1,
                        DJL_BN_MOMENTUM,
                        BN_EPS,
                        training)
                .singletonOrThrow();
    }

    public static NDArray linear(ParamLookup p, String name, NDArray x) {
        return Linear.linear(x, p.get(name + ".weight"), p.get(name + ".bias")).singletonOrThrow();
    }

    public static NDArray relu(NDArray x) {
        return Activation.relu(x);
    }

    public static NDArray maxPool(NDArray x, int kernel, int stride, int padding) {
        return Pool.maxPool2d(
                x,
                new Shape(kernel, kernel),
                new Shape(stride, stride),
                new Shape(padding, padding),
                false);
    }

    public static NDArray globalAvgPool(NDArray x) {
        return Pool.globalAvgPool2d(x);
    }

    // ---- declarations ----

    public static void declareConv(
            List<ParamSpec> out, String name, int in, int outCh, int kernel, boolean bias) {
        out.add(new ParamSpec(name + ".weight", new Shape(outCh, in, kernel, kernel), ParamSpec.Kind.CONV_WEIGHT));
        if (bias) {
            out.add(new ParamSpec(name + ".bias", new Shape(outCh), ParamSpec.Kind.BIAS));
        }
    }

    public static void declareBatchNorm(List<ParamSpec> out, String name, int channels) {
        Shape s = new Shape(channels);
        out.add(new ParamSpec(name + ".weight", s, ParamSpec.Kind.BN_WEIGHT));
        out.add(new ParamSpec(name + ".bias", s, ParamSpec.Kind.BN_BIAS));
        out.add(new ParamSpec(name + ".running_mean", s, ParamSpec.Kind.RUNNING_MEAN));
        out.add(new ParamSpec(name + ".running_var", s, ParamSpec.Kind.RUNNING_VAR));
    }

    public static void declareLinear(List<ParamSpec> out, String name, int in, int outF) {
        out.add(new ParamSpec(name + ".weight", new Shape(outF, in), ParamSpec.Kind.LINEAR_WEIGHT));
        out.add(new ParamSpec(name + ".bias", new Shape(outF), ParamSpec.Kind.BIAS));
    }
}
