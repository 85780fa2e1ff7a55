package io.metalr.model;

import static io.metalr.nn.Layers.*;

import ai.djl.ndarray.NDArray;
import io.metalr.nn.Network;
import io.metalr.nn.ParamLookup;
import io.metalr.nn.ParamSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The tiny CNN of the golden vectors ({@code ../shared/reference}):
 * conv1(3x3, no bias) - bn1 - relu - maxpool 2 - conv2(3x3) - bn2 - relu - global avg pool - fc.
 */
public final class ReferenceCnn implements Network {

    private final int inChannels;
    private final int numClasses;
    private final List<ParamSpec> params = new ArrayList<>();

    public ReferenceCnn(int inChannels, int numClasses) {
        this.inChannels = inChannels;
        this.numClasses = numClasses;
        declareConv(params, "conv1", inChannels, 4, 3, false);
        declareBatchNorm(params, "bn1", 4);
        declareConv(params, "conv2", 4, 8, 3, true);
        declareBatchNorm(params, "bn2", 8);
        declareLinear(params, "fc", 8, numClasses);
    }

    @Override
    public String name() {
        return "reference_cnn";
    }

    @Override
    public List<ParamSpec> params() {
        return params;
    }

    @Override
    public int inChannels() {
        return inChannels;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public NDArray forward(ParamLookup p, NDArray x, boolean training) {
        NDArray h = relu(batchNorm(p, "bn1", conv(p, "conv1", x, 1, 1, false), training));
        h = maxPool(h, 2, 2, 0);
        h = relu(batchNorm(p, "bn2", conv(p, "conv2", h, 1, 1, true), training));
        return linear(p, "fc", globalAvgPool(h));
    }
}
