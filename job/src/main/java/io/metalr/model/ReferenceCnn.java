package io.metalr.model;

import static io.metalr.nn.Layers.*;

import ai.djl.ndarray.NDArray;
import io.metalr.nn.BaseNetwork;
import io.metalr.nn.ParamLookup;

/**
 * The tiny CNN of the golden vectors ({@code ../shared/reference}):
 * conv1(3x3, no bias) - bn1 - relu - maxpool 2 - conv2(3x3) - bn2 - relu - global avg pool - fc.
 */
public final class ReferenceCnn extends BaseNetwork {

    public ReferenceCnn(int inChannels, int numClasses) {
        super("reference_cnn", inChannels, numClasses);
        declareConv(params, "conv1", inChannels, 4, 3, false);
        declareBatchNorm(params, "bn1", 4);
        declareConv(params, "conv2", 4, 8, 3, true);
        declareBatchNorm(params, "bn2", 8);
        declareLinear(params, "fc", 8, numClasses);
    }

    @Override
    public NDArray forward(ParamLookup p, NDArray x, boolean training) {
        NDArray h = relu(batchNorm(p, "bn1", conv(p, "conv1", x, 1, 1, false), training));
        h = maxPool(h, 2, 2, 0);
        h = relu(batchNorm(p, "bn2", conv(p, "conv2", h, 1, 1, true), training));
        return linear(p, "fc", globalAvgPool(h));
    }
}
