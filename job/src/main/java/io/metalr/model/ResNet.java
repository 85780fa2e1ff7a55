package io.metalr.model;

import static io.metalr.nn.Layers.*;

import ai.djl.ndarray.NDArray;
import io.metalr.nn.BaseNetwork;
import io.metalr.nn.ParamLookup;

import java.util.ArrayList;
import java.util.List;

/**
 * Residual networks with torchvision's layout and state-dict names, so PyTorch weights load by
 * name: ResNet-18/34 (basic blocks) and ResNet-50 (bottlenecks, stride on the 3x3 conv as in
 * torchvision's "v1.5"), with a 7x7 stride-2 stem and max-pool. The same builder makes the small
 * CPU network: a 3x3 stem without max-pool and narrow stages.
 */
public final class ResNet extends BaseNetwork {

    /** One stage: its block count, output width (before expansion) and first stride. */
    private record Stage(int blocks, int planes, int stride) {}

    private final boolean bottleneck;
    private final boolean imagenetStem;
    private final int stemWidth;
    private final List<Stage> stages;
    /** Per block, in order: its prefix, stride and whether it has a downsample branch. */
    private final List<Block> blocks = new ArrayList<>();

    private record Block(String prefix, int stride, boolean downsample) {}

    private ResNet(
            String name,
            int inChannels,
            int numClasses,
            boolean bottleneck,
            boolean imagenetStem,
            int stemWidth,
            List<Stage> stages) {
        super(name, inChannels, numClasses);
        this.bottleneck = bottleneck;
        this.imagenetStem = imagenetStem;
        this.stemWidth = stemWidth;
        this.stages = stages;
        declare();
    }

    public static ResNet resnet18(int inChannels, int numClasses) {
        return torchvision("resnet18", inChannels, numClasses, false, 2, 2, 2, 2);
    }

    public static ResNet resnet34(int inChannels, int numClasses) {
        return torchvision("resnet34", inChannels, numClasses, false, 3, 4, 6, 3);
    }

    public static ResNet resnet50(int inChannels, int numClasses) {
        return torchvision("resnet50", inChannels, numClasses, true, 3, 4, 6, 3);
    }

    /** About 78k parameters: a 3x3 stem and three one-block stages of 16/32/64 channels. */
    public static ResNet small(int inChannels, int numClasses) {
        return new ResNet(
                "small_resnet",
                inChannels,
                numClasses,
                false,
                false,
                16,
                List.of(new Stage(1, 16, 1), new Stage(1, 32, 2), new Stage(1, 64, 2)));
    }

    private static ResNet torchvision(
            String name, int in, int classes, boolean bottleneck, int... blocksPerStage) {
        List<Stage> stages = new ArrayList<>();
        int[] planes = {64, 128, 256, 512};
        for (int i = 0; i < 4; i++) {
            stages.add(new Stage(blocksPerStage[i], planes[i], i == 0 ? 1 : 2));
        }
        return new ResNet(name, in, classes, bottleneck, true, 64, stages);
    }

    private int expansion() {
        return bottleneck ? 4 : 1;
    }

    private void declare() {
        declareConv(params, "conv1", inChannels(), stemWidth, imagenetStem ? 7 : 3, false);
        declareBatchNorm(params, "bn1", stemWidth);
        int inplanes = stemWidth;
        for (int s = 0; s < stages.size(); s++) {
            Stage stage = stages.get(s);
            for (int b = 0; b < stage.blocks(); b++) {
                String prefix = "layer" + (s + 1) + "." + b + ".";
                int stride = b == 0 ? stage.stride() : 1;
                int out = stage.planes() * expansion();
                boolean down = stride != 1 || inplanes != out;
                if (bottleneck) {
                    declareConv(params, prefix + "conv1", inplanes, stage.planes(), 1, false);
                    declareBatchNorm(params, prefix + "bn1", stage.planes());
                    declareConv(params, prefix + "conv2", stage.planes(), stage.planes(), 3, false);
                    declareBatchNorm(params, prefix + "bn2", stage.planes());
                    declareConv(params, prefix + "conv3", stage.planes(), out, 1, false);
                    declareBatchNorm(params, prefix + "bn3", out);
                } else {
                    declareConv(params, prefix + "conv1", inplanes, stage.planes(), 3, false);
                    declareBatchNorm(params, prefix + "bn1", stage.planes());
                    declareConv(params, prefix + "conv2", stage.planes(), stage.planes(), 3, false);
                    declareBatchNorm(params, prefix + "bn2", stage.planes());
                }
                if (down) {
                    declareConv(params, prefix + "downsample.0", inplanes, out, 1, false);
                    declareBatchNorm(params, prefix + "downsample.1", out);
                }
                blocks.add(new Block(prefix, stride, down));
                inplanes = out;
            }
        }
        declareLinear(params, "fc", inplanes, numClasses());
    }

    @Override
    public NDArray forward(ParamLookup p, NDArray x, boolean training) {
        NDArray h;
        if (imagenetStem) {
            h = relu(batchNorm(p, "bn1", conv(p, "conv1", x, 2, 3, false), training));
            h = maxPool(h, 3, 2, 1);
        } else {
            h = relu(batchNorm(p, "bn1", conv(p, "conv1", x, 1, 1, false), training));
        }
        for (Block b : blocks) {
            h = bottleneck ? bottleneckBlock(p, b, h, training) : basicBlock(p, b, h, training);
        }
        return linear(p, "fc", globalAvgPool(h));
    }

    private static NDArray basicBlock(ParamLookup p, Block b, NDArray x, boolean training) {
        String n = b.prefix();
        NDArray out = relu(batchNorm(p, n + "bn1", conv(p, n + "conv1", x, b.stride(), 1, false), training));
        out = batchNorm(p, n + "bn2", conv(p, n + "conv2", out, 1, 1, false), training);
        return relu(out.add(shortcut(p, b, x, training)));
    }

    private static NDArray bottleneckBlock(ParamLookup p, Block b, NDArray x, boolean training) {
        String n = b.prefix();
        NDArray out = relu(batchNorm(p, n + "bn1", conv(p, n + "conv1", x, 1, 0, false), training));
        out = relu(batchNorm(p, n + "bn2", conv(p, n + "conv2", out, b.stride(), 1, false), training));
        out = batchNorm(p, n + "bn3", conv(p, n + "conv3", out, 1, 0, false), training);
        return relu(out.add(shortcut(p, b, x, training)));
    }

    private static NDArray shortcut(ParamLookup p, Block b, NDArray x, boolean training) {
        if (!b.downsample()) {
            return x;
        }
        String n = b.prefix() + "downsample.";
        return batchNorm(p, n + "1", conv(p, n + "0", x, b.stride(), 0, false), training);
    }
}
