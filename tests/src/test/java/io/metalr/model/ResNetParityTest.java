package io.metalr.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.metalr.data.Batch;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;
import io.metalr.nn.Weights;
import io.metalr.train.ModelCompute;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Our ResNets are torchvision's, name by name and number by number.
 *
 * <p>Fixtures (made with real PyTorch by {@code tests/fixtures/make_torch_fixtures.py} and
 * {@code tests/fixtures/make_resnet_parity.py}; CI has no torch):
 *
 * <ul>
 *   <li>{@code torch/resnet_param_specs.json}: torchvision resnet18/34/50 (1000 classes), the
 *       ordered state dict {@code [name, shape]} and the trainable parameter count;
 *   <li>{@code torch/resnet_parity.json}: resnet18/50 (3 channels, 5 classes) with every tensor
 *       set by {@link #formulaValue}: logits in eval and training mode, the training loss,
 *       gradient statistics of a few parameters and bn1's running statistics after the training
 *       forward.
 * </ul>
 *
 * <p>Numbers compare by relative error: max |ours - torch| over max |torch| across the quantity
 * (a logits matrix, a running-stat vector, the loss), at most {@value #TOL}. A gradient is compared
 * through three statistics: its sum, sum of squares and sum of |g|. Each error is divided by
 * torch's own value, except the sum's, which is divided by torch's sum of |g|: a head gradient
 * sums to zero up to rounding (softmax rows sum to one), so its sum has no scale of its own.
 */
class ResNetParityTest {

    private static final double TOL = 1e-4;
    private static final long RESNET18_TRAINABLE = 11_689_512L;
    /** A batch-norm weight inside a residual branch (not the stem's bn1, not a downsample). */
    private static final Pattern RESIDUAL_BRANCH_BN = Pattern.compile("layer\\d+\\.\\d+\\.bn\\d\\.weight");

    private static JsonNode specs;
    private static JsonNode parity;

    @BeforeAll
    static void loadFixtures() throws IOException {
        specs = readJson("/torch/resnet_param_specs.json");
        parity = readJson("/torch/resnet_parity.json");
    }

    // ---- (a) names and shapes -------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet34", "resnet50"})
    void paramsMatchTorchvisionStateDict(String arch) {
        Network net = Models.create(arch, 3, 1000);
        JsonNode torch = specs.get(arch);

        List<String> expected = new ArrayList<>();
        for (JsonNode entry : torch.get("state_dict")) {
            String name = entry.get(0).asText();
            if (!name.endsWith("num_batches_tracked")) {
                expected.add(name + " " + shapeOf(entry.get(1)));
            }
        }
        List<String> actual = new ArrayList<>();
        for (ParamSpec spec : net.params()) {
            actual.add(spec.name() + " " + spec.shape());
        }
        assertEquals(expected, actual, arch + ": state-dict names and shapes, in order");

        long torchTrainable = torch.get("trainable_parameters").asLong();
        assertEquals(torchTrainable, net.trainableCount(), arch + ": trainable parameter count");
        if (arch.equals("resnet18")) {
            assertEquals(RESNET18_TRAINABLE, torchTrainable);
        }
    }

    // ---- (b) numbers at the formula weights ------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet50"})
    void outputsMatchTorchvisionAtFormulaWeights(String arch) {
        JsonNode c = caseFor(arch);
        Network net = Models.create(arch, c.get("in_channels").asInt(), c.get("num_classes").asInt());
        Map<String, float[]> values = formulaWeights(net);
        Shape xShape = new Shape(longs(parity.get("x_shape")));
        long[] labels = longs(parity.get("labels"));

        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = m.create(formulaInput(xShape), xShape);
            NDArray y = m.create(labels);

            try (Weights w = Weights.fromHost(net, values, Device.cpu())) {
                NDArray logits = net.forward(w.lookup(), x, false);
                check(arch, "logits_eval", doubles(c.get("logits_eval")), logits.toFloatArray());
            }
            // training mode moves the running stats: each pass starts from fresh formula weights
            try (Weights w = Weights.fromHost(net, values, Device.cpu())) {
                NDArray logits = net.forward(w.lookup(), x, true);
                check(arch, "logits_train", doubles(c.get("logits_train")), logits.toFloatArray());
            }
            try (Weights w = Weights.fromHost(net, values, Device.cpu());
                    NDManager scratch = m.newSubManager()) {
                List<String> trainable = net.params().stream()
                        .filter(ParamSpec::trainable)
                        .map(ParamSpec::name)
                        .toList();
                ModelCompute.Gradients g =
                        ModelCompute.lossAndGradients(net, w.lookup(), trainable, new Batch(x, y), scratch);

                check(arch, "loss_train",
                        new double[] {c.get("loss_train").asDouble()}, g.loss().toFloatArray());
                c.get("grads").fields().forEachRemaining(e -> checkGradient(
                        arch, e.getKey(), e.getValue(), g.grads().get(e.getKey()).toFloatArray()));
                check(arch, "bn1_running_mean",
                        doubles(c.get("bn1_running_mean")), w.get("bn1.running_mean").toFloatArray());
                check(arch, "bn1_running_var",
                        doubles(c.get("bn1_running_var")), w.get("bn1.running_var").toFloatArray());
            }
        }
    }

    // ---- (c) the small CPU net --------------------------------------------------------------

    @Test
    void smallResnetIsSmallAndTakesAnyImageSize() {
        Network net = Models.create("small_resnet", 1, 4);
        long trainable = net.trainableCount();
        assertTrue(trainable >= 60_000 && trainable <= 150_000,
                "small_resnet should have 60k..150k trainable parameters, has " + trainable);

        try (Weights w = Weights.initialize(net, 7L, Device.cpu());
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (int side : new int[] {28, 64}) {
                for (boolean training : new boolean[] {false, true}) {
                    Shape shape = new Shape(3, 1, side, side);
                    NDArray x = m.create(formulaInput(shape), shape);
                    NDArray logits = net.forward(w.lookup(), x, training);
                    assertEquals(new Shape(3, 4), logits.getShape(), side + "x" + side + " training=" + training);
                    assertEquals(DataType.FLOAT32, logits.getDataType());
                    for (float v : logits.toFloatArray()) {
                        assertTrue(Float.isFinite(v), "finite logits at " + side + "x" + side);
                    }
                }
            }
        }
    }

    // ---- the formula, mirrored from make_resnet_parity.py ------------------------------------

    /**
     * Element {@code i} (flat, row-major) of float tensor number {@code k} of the state dict
     * (buffers included, num_batches_tracked skipped), with {@code s} the hash below in [-1, 1):
     * conv weight {@code s*sqrt(6/fan_in)}, fc weight {@code s*sqrt(3/in)} (He / LeCun variance),
     * biases and running means {@code 0.1*s}, bn weight {@code 1+0.2*s} but a tenth of that
     * inside residual branches ({@code layerX.Y.bnJ.weight}), running var {@code 1+0.5*|s|};
     * computed in double, then rounded to float.
     *
     * <p>The damped branches keep the test well conditioned: at unit gains a training-mode
     * ResNet-50 at batch 2 is chaotic and torch's own float32 result differs from its float64
     * one by 2e-4 in the logits and by up to 4% in early-layer gradients (see the script).
     */
    static float formulaValue(ParamSpec spec, int k, int i) {
        double s = hashUniform(k, i);
        long[] d = spec.shape().getShape();
        double v = switch (spec.kind()) {
            case CONV_WEIGHT -> s * Math.sqrt(6.0 / (d[1] * d[2] * d[3]));
            case LINEAR_WEIGHT -> s * Math.sqrt(3.0 / d[1]);
            case BIAS, BN_BIAS, RUNNING_MEAN -> 0.1 * s;
            case BN_WEIGHT -> RESIDUAL_BRANCH_BN.matcher(spec.name()).matches()
                    ? 0.1 * (1.0 + 0.2 * s)
                    : 1.0 + 0.2 * s;
            case RUNNING_VAR -> 1.0 + 0.5 * Math.abs(s);
        };
        return (float) v;
    }

    /**
     * A 32-bit integer hash of (k, i) (Wellons' lowbias32 finaliser), mapped to [-1, 1): exact in
     * Java and numpy alike. A plain {@code sin(a*i + b*k)} is not usable here: every output
     * channel of a conv would be a phase shift of one sinusoid, i.e. a mix of just two filters,
     * which makes the layers rank 2 and the gradients ill-conditioned.
     */
    static double hashUniform(int k, int i) {
        int h = i * 0x9E3779B1 + k * 0x85EBCA77;
        h ^= h >>> 16;
        h *= 0x7FEB352D;
        h ^= h >>> 15;
        h *= 0x846CA68B;
        h ^= h >>> 16;
        return Integer.toUnsignedLong(h) / 4294967296.0 * 2.0 - 1.0;
    }

    /** The input images: {@code x[i] = sin(0.01 i) + 0.5 cos(0.37 i)} over the flat index. */
    static float[] formulaInput(Shape shape) {
        float[] x = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (StrictMath.sin(0.01 * i) + 0.5 * StrictMath.cos(0.37 * i));
        }
        return x;
    }

    static Map<String, float[]> formulaWeights(Network net) {
        Map<String, float[]> out = new LinkedHashMap<>();
        List<ParamSpec> params = net.params();
        for (int k = 0; k < params.size(); k++) {
            ParamSpec spec = params.get(k);
            float[] v = new float[Math.toIntExact(spec.size())];
            for (int i = 0; i < v.length; i++) {
                v[i] = formulaValue(spec, k, i);
            }
            out.put(spec.name(), v);
        }
        return out;
    }

    // ---- comparison --------------------------------------------------------------------------

    /** Max-abs error over max-abs of torch's values. */
    private static void check(String arch, String what, double[] torch, float[] ours) {
        assertEquals(torch.length, ours.length, arch + " " + what + ": length");
        double err = 0;
        double scale = 0;
        for (int i = 0; i < torch.length; i++) {
            err = Math.max(err, Math.abs(ours[i] - torch[i]));
            scale = Math.max(scale, Math.abs(torch[i]));
        }
        report(arch, what, err / scale);
    }

    private static void checkGradient(String arch, String name, JsonNode torch, float[] g) {
        double sum = 0;
        double sumSq = 0;
        double sumAbs = 0;
        for (float v : g) {
            sum += v;
            sumSq += (double) v * v;
            sumAbs += Math.abs(v);
        }
        double l1 = torch.get("sum_abs").asDouble();
        double l2sq = torch.get("sum_sq").asDouble();
        assertEquals(shapeOf(torch.get("shape")).size(), g.length, arch + " gradient size of " + name);
        report(arch, "grad " + name + " sum", Math.abs(sum - torch.get("sum").asDouble()) / l1);
        report(arch, "grad " + name + " sum_sq", Math.abs(sumSq - l2sq) / l2sq);
        report(arch, "grad " + name + " sum_abs", Math.abs(sumAbs - l1) / l1);
    }

    private static void report(String arch, String what, double relErr) {
        System.out.printf("parity %-9s %-45s rel err %.3e%n", arch, what, relErr);
        assertTrue(relErr <= TOL, arch + " " + what + ": relative error " + relErr + " > " + TOL);
    }

    // ---- json helpers ------------------------------------------------------------------------

    private static JsonNode readJson(String resource) throws IOException {
        try (InputStream in = ResNetParityTest.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            return new ObjectMapper().readTree(in);
        }
    }

    private static JsonNode caseFor(String arch) {
        for (JsonNode c : parity.get("cases")) {
            if (c.get("arch").asText().equals(arch)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no parity case for " + arch);
    }

    private static Shape shapeOf(JsonNode dims) {
        return new Shape(longs(dims));
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }
}
