package io.metalr.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.data.Batch;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.MetaLrSettings;
import io.metalr.model.ReferenceCnn;
import io.metalr.nn.Weights;
import io.metalr.optim.Adam;
import io.metalr.train.ModelCompute;
import io.metalr.train.StepReport;
import io.metalr.train.StrategyPlan;
import io.metalr.train.TrainStep;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One MetaLR step against the golden vectors computed with the paper's public code (PyTorch), one
 * test per {@code *.npz}: a case dropped into the folder (or into $METALR_REFERENCE_DIR) is tested
 * with no code change, under its own name in the report.
 */
class GoldenVectorTest {

    private static final double TOL = 1e-4;

    @TestFactory
    List<DynamicTest> everyGoldenCase() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path npz : ReferenceCase.discover()) {
            String name = npz.getFileName().toString().replaceFirst("\\.npz$", "");
            tests.add(DynamicTest.dynamicTest(name, () -> check(ReferenceCase.load(npz))));
        }
        assertTrue(tests.size() >= 4, "expected the four shipped golden cases, found " + tests.size());
        return tests;
    }

    private static void check(ReferenceCase c) {
        long[] xShape = c.shapes.get("x_train");
        double[] lrBefore = c.doubles.get("lr_before");
        int classes = Math.toIntExact(c.shapes.get("before/fc.weight")[0]);
        ReferenceCnn net = new ReferenceCnn(Math.toIntExact(xShape[1]), classes);
        LayerGroups groups = LayerGroups.fromPatterns(net, groupPatterns(c));
        MetaLrSettings.Lookahead lookahead =
                MetaLrSettings.Lookahead.valueOf(c.json.get("lookahead").asText().toUpperCase());
        MetaLrSettings meta = new MetaLrSettings(
                lookahead,
                MetaLrSettings.LrUpdate.MULTIPLICATIVE,
                MetaLrSettings.Direction.SGD,
                MetaLrSettings.Normalize.NONE,
                c.json.get("hyper_lr").asDouble(),
                c.json.get("lr_lower").asDouble(),
                c.json.get("lr_upper").asDouble(),
                0,
                1);
        boolean[] all = new boolean[groups.size()];
        Arrays.fill(all, true);
        StrategyPlan plan = new StrategyPlan("metalr", all, lrBefore, StrategyPlan.Learning.PER_GROUP, true);

        try (Weights w = Weights.fromHost(net, c.prefixed("before/"), Device.cpu());
                Adam adam = new Adam(w.manager(), 0.9, 0.999, 1e-8, c.weightDecay(), false);
                TrainStep step = new TrainStep(w, groups, adam, meta, plan, false);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Batch train = batch(m, c, "x_train", "y_train");
            Batch val = batch(m, c, "x_val", "y_val");

            // the training gradient at theta, from a copy so the model's running stats stay put
            try (Weights copy = Weights.fromHost(net, c.prefixed("before/"), Device.cpu());
                    NDManager s = copy.manager().newSubManager()) {
                ModelCompute.Gradients g = ModelCompute.lossAndGradients(net, copy.lookup(), c.parameters(), train, s);
                assertEquals(c.json.get("loss_train").asDouble(), g.loss().getFloat(), 1e-5 * 2, c.name + " loss_train");
                double scale = 0;
                for (float[] v : c.prefixed("train_grad/").values()) {
                    for (float f : v) {
                        scale = Math.max(scale, Math.abs(f));
                    }
                }
                for (String p : c.parameters()) {
                    // conv2.bias feeds a batch-norm, so its true gradient is 0 and both sides hold
                    // float noise (~1e-8): compare it at the scale of the whole gradient
                    assertClose(c.name + " train_grad/" + p, c.floats.get("train_grad/" + p),
                            g.grads().get(p).toFloatArray(), scale);
                }
            }

            StepReport r = step.run(train, val, 0, 0);
            assertEquals(c.json.get("loss_val_at_theta_prime").asDouble(), r.metaLoss(), 2e-5, c.name + " meta loss");
            assertRel(c.name + " lr_grad", c.doubles.get("lr_grad"), r.hypergradient());
            assertRel(c.name + " lr_after", c.doubles.get("lr_after"), r.lrAfter());
            for (Map.Entry<String, float[]> e : c.prefixed("after/").entrySet()) {
                String p = e.getKey();
                float[] actual = w.get(p).toFloatArray();
                if (noiseDetermined(c, p)) {
                    // Its true gradient is 0 (a bias before batch-norm) and with no weight decay
                    // Adam's first step is noise/|noise|: any value within one step is as right as
                    // PyTorch's. Check that bound instead of PyTorch's particular rounding noise.
                    double bound = r.lrAfter()[groups.groupOf(p)] * (1 + 1e-6);
                    float[] b = c.floats.get("before/" + p);
                    for (int i = 0; i < actual.length; i++) {
                        assertTrue(Math.abs(actual[i] - b[i]) <= bound, c.name + " after/" + p + "[" + i + "] moved more than one Adam step");
                    }
                    continue;
                }
                assertClose(c.name + " after/" + p, e.getValue(), actual, 0);
            }
        }
    }

    /** No weight decay and a reference gradient at float-noise level: the update is set by rounding. */
    private static boolean noiseDetermined(ReferenceCase c, String p) {
        float[] g = c.floats.get("train_grad/" + p);
        if (g == null || c.weightDecay() != 0) {
            return false;
        }
        double max = 0;
        for (float f : g) {
            max = Math.max(max, Math.abs(f));
        }
        return max < 1e-6;
    }

    private static List<String> groupPatterns(ReferenceCase c) {
        List<String> params = c.parameters();
        int[] group = c.groupOfParameter();
        int d = Arrays.stream(group).max().orElseThrow() + 1;
        List<String> patterns = new ArrayList<>();
        for (int g = 0; g < d; g++) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                if (group[i] == g) {
                    names.add(Pattern.quote(params.get(i)));
                }
            }
            patterns.add("^(" + String.join("|", names) + ")$");
        }
        return patterns;
    }

    private static Batch batch(NDManager m, ReferenceCase c, String x, String y) {
        return new Batch(m.create(c.floats.get(x), new Shape(c.shapes.get(x))), m.create(c.longs.get(y)));
    }

    /** Relative error per element, against the larger of the value and 1e-12. */
    private static void assertRel(String what, double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]) / Math.max(Math.abs(expected[i]), 1e-12);
            assertTrue(err <= TOL, what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i] + " (rel err " + err + ")");
        }
    }

    /** Max-abs error over max-abs of the expected array, as the reference README states. */
    private static void assertClose(String what, float[] expected, float[] actual, double scaleFloor) {
        assertEquals(expected.length, actual.length, what + " length");
        double maxErr = 0, maxAbs = 0;
        for (int i = 0; i < expected.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
        }
        double rel = maxErr / Math.max(maxAbs, Math.max(scaleFloor, 1e-12));
        assertTrue(rel <= TOL, what + ": max-abs error " + maxErr + " over max-abs " + maxAbs + " = " + rel);
    }
}
