package io.metalr.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;

import io.metalr.TestImages;
import io.metalr.config.JobConfig;
import io.metalr.data.BatchOrder;
import io.metalr.data.DataSets;
import io.metalr.data.ImageSet;
import io.metalr.meta.MetaLrSettings;
import io.metalr.nn.ParamSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The training loop end to end on tiny synthetic data: determinism, strategies, NaN handling, the held head. */
class TrainerTest {

    private static final int N_TRAIN = 64;
    private static final int BATCH = 16;
    private static final int STEPS_PER_EPOCH = N_TRAIN / BATCH;

    static JobConfig cfg(String... extra) {
        List<String> lines = new ArrayList<>(List.of(
                "device = cpu",
                "model.name = reference_cnn",
                "train.epochs = 2",
                "train.batch_size = " + BATCH,
                "train.lr = 0.005",
                "train.log_every = 0",
                "train.eval_batch_size = 64",
                "meta.hold_head_epochs = 0",
                "data.synthetic { classes = 3, train = " + N_TRAIN + ", val = 32, test = 32, size = 12, channels = 1 }"));
        lines.addAll(List.of(extra));
        return JobConfig.of(ConfigFactory.parseString(String.join("\n", lines)));
    }

    record Run(Trainer.Outcome out, List<StepReport> steps, RunSetup setup) {}

    static Run run(JobConfig cfg) {
        DataSets.Loaded d = DataSets.load(cfg);
        return run(cfg, d.train(), d.val(), d.test());
    }

    static Run run(JobConfig cfg, ImageSet train, ImageSet val, ImageSet test) {
        RunSetup s = RunSetup.from(cfg, train.channels(), train.numClasses());
        List<StepReport> reports = new ArrayList<>();
        Trainer t = new Trainer(cfg, s.net(), s.groups(), s.plan(), Device.cpu(), line -> { });
        return new Run(t.fit(s.initial(), train, val, test, reports::add), reports, s);
    }

    private static void assertSameWeights(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        a.forEach((k, v) -> assertArrayEquals(v, b.get(k), k));
    }

    // ---- (a) determinism ----

    @ParameterizedTest
    @ValueSource(strings = {"metalr", "metalr_global", "hd"})
    void sameConfigSeedAndDataGiveBitwiseIdenticalRuns(String strategy) {
        JobConfig c = cfg("strategy = " + strategy, "model.name = small_resnet", "train.seed = 3");
        Run a = run(c);
        Run b = run(c);
        assertSameWeights(a.out().bestWeights(), b.out().bestWeights());
        assertEquals(a.steps().size(), b.steps().size());
        for (int i = 0; i < a.steps().size(); i++) {
            StepReport x = a.steps().get(i), y = b.steps().get(i);
            assertArrayEquals(x.lrAfter(), y.lrAfter(), 0.0, "step " + i);
            assertArrayEquals(x.hypergradient(), y.hypergradient(), 0.0, "step " + i);
            assertEquals(x.trainLoss(), y.trainLoss(), 0.0, "step " + i);
            assertEquals(x.metaLoss(), y.metaLoss(), 0.0, "step " + i);
        }
        assertArrayEquals(a.out().finalLr(), b.out().finalLr(), 0.0);
        assertEquals(a.out().bestEpoch(), b.out().bestEpoch());
        for (int e = 0; e < a.out().epochs().size(); e++) {
            assertEquals(a.out().epochs().get(e).val().loss(), b.out().epochs().get(e).val().loss(), 0.0);
            assertArrayEquals(a.out().epochs().get(e).lr(), b.out().epochs().get(e).lr(), 0.0);
        }
        assertEquals(a.out().test().loss(), b.out().test().loss(), 0.0);
        // the LRs did move, so the comparison above is not trivially of constants
        assertFalse(Arrays.equals(a.steps().get(a.steps().size() - 1).lrAfter(), a.setup().plan().initialLr()));
    }

    @Test
    void anotherSeedGivesAnotherRun() {
        Run a = run(cfg("train.seed = 3"));
        Run b = run(cfg("train.seed = 4"));
        assertFalse(Arrays.equals(a.out().bestWeights().get("conv1.weight"), b.out().bestWeights().get("conv1.weight")));
    }

    // ---- (b) strategies ----

    @Test
    void fullKeepsEveryLearningRate() {
        Run r = run(cfg("strategy = full"));
        double[] initial = r.setup().plan().initialLr();
        assertEquals(2 * STEPS_PER_EPOCH, r.steps().size());
        for (StepReport s : r.steps()) {
            assertArrayEquals(initial, s.lrBefore(), 0.0);
            assertArrayEquals(initial, s.lrAfter(), 0.0);
            assertEquals(0, s.hypergradient().length, "no meta step for a fixed strategy");
            assertTrue(Double.isNaN(s.metaLoss()));
        }
        r.out().epochs().forEach(e -> assertArrayEquals(initial, e.lr(), 0.0));
        assertArrayEquals(initial, r.out().finalLr(), 0.0);
        assertEquals(2 * STEPS_PER_EPOCH, r.out().steps());
        assertEquals(0, r.out().skippedSteps());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "meta.direction = sgd",
        "meta.direction = optimizer",
        "meta.lookahead = ascent",
        "meta.normalize = cosine",
        "meta.update = additive\nmeta.hyper_lr = 1e-4",
        "meta.lr_lower = 4e-4\nmeta.lr_upper = 3e-3\nmeta.hyper_lr = 2",
        "train.optimizer = sgd\nmeta.direction = optimizer",
    })
    void metalrMovesRatesWithinBoundsByTheRule(String variant) {
        JobConfig c = cfg("strategy = metalr", variant);
        MetaLrSettings m = c.meta();
        Run r = run(c);
        int head = r.setup().groups().headIndex();
        boolean moved = false;
        for (StepReport s : r.steps()) {
            assertEquals(r.setup().groups().size(), s.hypergradient().length, "every step is a meta step");
            assertTrue(Double.isFinite(s.metaLoss()));
            for (int j = 0; j < s.lrAfter().length; j++) {
                double lr = s.lrAfter()[j];
                assertTrue(lr >= m.lrLower() && lr <= m.lrUpper(), "step " + s.step() + " group " + j + " lr " + lr);
                // the trainer applies exactly the rule to the rates it reports
                double h = s.hypergradient()[j];
                double next = m.update() == MetaLrSettings.LrUpdate.MULTIPLICATIVE
                        ? s.lrBefore()[j] * (1 - m.hyperLr() * h) : s.lrBefore()[j] - m.hyperLr() * h;
                assertEquals(Math.min(m.lrUpper(), Math.max(m.lrLower(), next)), lr, 1e-12 * lr,
                        "step " + s.step() + " group " + j);
                moved |= lr != s.lrBefore()[j];
            }
        }
        for (int i = 1; i < r.steps().size(); i++) {
            assertArrayEquals(r.steps().get(i - 1).lrAfter(), r.steps().get(i).lrBefore(), 0.0, "rates carry over");
        }
        assertTrue(moved, "no learning rate ever changed");
        assertArrayEquals(r.steps().get(r.steps().size() - 1).lrAfter(), r.out().finalLr(), 0.0);
        assertTrue(head > 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"descent", "ascent"})
    void metalrClampsAtTheBounds(String lookahead) {
        // bounds just around the initial rates (backbone 5e-4, head 5e-3) and a big hyper-LR; descending
        // along the gradient lowers the validation loss, so h < 0 and rates rise to the upper bound; the
        // ascent lookahead flips h, so they fall to the lower one
        JobConfig c = cfg("strategy = metalr", "meta.lr_lower = 4.99e-4", "meta.lr_upper = 5.01e-3", "meta.hyper_lr = 5",
                "meta.lookahead = " + lookahead);
        Run r = run(c);
        boolean lower = false, upper = false;
        for (StepReport s : r.steps()) {
            for (double lr : s.lrAfter()) {
                assertTrue(lr >= 4.99e-4 && lr <= 5.01e-3, "step " + s.step() + ": " + lr);
                lower |= lr == 4.99e-4;
                upper |= lr == 5.01e-3;
            }
        }
        if (lookahead.equals("descent")) {
            assertTrue(upper, "the upper bound was reached");
        } else {
            assertTrue(lower, "the lower bound was reached");
        }
    }

    @Test
    void metaEveryKSteps() {
        Run r = run(cfg("strategy = metalr", "meta.every = 3"));
        for (StepReport s : r.steps()) {
            if (s.step() % 3 == 0) {
                assertEquals(r.setup().groups().size(), s.hypergradient().length, "step " + s.step());
            } else {
                assertEquals(0, s.hypergradient().length, "step " + s.step());
                assertArrayEquals(s.lrBefore(), s.lrAfter(), 0.0, "step " + s.step());
            }
        }
    }

    @Test
    void metalrGlobalKeepsOneSharedRate() {
        Run r = run(cfg("strategy = metalr_global"));
        boolean moved = false;
        for (StepReport s : r.steps()) {
            for (int j = 1; j < s.lrAfter().length; j++) {
                assertEquals(s.lrAfter()[0], s.lrAfter()[j], 0.0, "step " + s.step());
            }
            moved |= s.lrAfter()[0] != s.lrBefore()[0];
        }
        assertTrue(moved);
    }

    @Test
    void metalrGlobalWithHeldHeadFollowsTheRule() {
        JobConfig c = cfg("strategy = metalr_global", "meta.hold_head_epochs = 1");
        MetaLrSettings m = c.meta();
        Run r = run(c);
        for (StepReport s : r.steps()) {
            double next = Math.min(m.lrUpper(), Math.max(m.lrLower(), s.lrBefore()[0] * (1 - m.hyperLr() * s.hypergradient()[0])));
            assertEquals(next, s.lrAfter()[0], 1e-12 * next, "step " + s.step());
        }
    }

    /** Through the training loop: no meta pass on any step, one rate, h from the second step, the additive rule. */
    @Test
    void hdThroughTheLoopMovesOneRateByItsHypergradient() {
        JobConfig c = cfg("strategy = hd", "strategy_options.hd_hyper_lr = 1e-5", "meta.hold_head_epochs = 1");
        double beta = 1e-5;
        Run r = run(c);
        assertEquals(2 * STEPS_PER_EPOCH, r.steps().size());
        boolean moved = false;
        for (StepReport s : r.steps()) {
            assertTrue(Double.isNaN(s.metaLoss()), "no meta pass, step " + s.step());
            for (int j = 1; j < s.lrAfter().length; j++) {
                assertEquals(s.lrAfter()[0], s.lrAfter()[j], 0.0, "step " + s.step());
            }
            if (s.step() == 0) {
                assertEquals(0, s.hypergradient().length);
                assertArrayEquals(s.lrBefore(), s.lrAfter(), 0.0);
                continue;
            }
            assertEquals(r.setup().groups().size(), s.hypergradient().length, "step " + s.step());
            double next = Math.min(c.meta().lrUpper(), Math.max(c.meta().lrLower(), s.lrBefore()[0] - beta * s.hypergradient()[0]));
            assertEquals(next, s.lrAfter()[0], 1e-15, "step " + s.step());
            moved |= s.lrAfter()[0] != s.lrBefore()[0];
        }
        assertTrue(moved, "the rate moved");
    }

    @Test
    void linearProbeChangesOnlyTheHead() {
        Run r = run(cfg("strategy = linear_probe", "model.name = small_resnet"));
        assertFrozenExceptLastGroups(r, 1);
    }

    @Test
    void partialChangesOnlyTheLastGroups() {
        Run r = run(cfg("strategy = partial", "strategy_options.partial_groups = 2", "model.name = small_resnet"));
        assertFrozenExceptLastGroups(r, 2);
    }

    private static void assertFrozenExceptLastGroups(Run r, int k) {
        LinkedHashMap<String, float[]> initial = r.setup().initial();
        LinkedHashMap<String, float[]> best = r.out().bestWeights();
        int d = r.setup().groups().size();
        for (ParamSpec s : r.setup().net().params()) {
            if (!s.trainable()) {
                continue; // batch-norm running statistics move in training-mode forward passes
            }
            int g = r.setup().groups().groupOf(s.name());
            if (g < d - k) {
                assertArrayEquals(initial.get(s.name()), best.get(s.name()), s.name() + " is frozen");
            } else {
                assertFalse(Arrays.equals(initial.get(s.name()), best.get(s.name())), s.name() + " trains");
            }
        }
    }

    // ---- model selection ----

    /** Images whose labels are all class 0 (of 3): the macro AUC is undefined (NaN) on them. */
    private static ImageSet oneClass(String name, int n, long seed) {
        ImageSet base = TestImages.withNanImage(name, n, -1, seed);
        int[] idx = new int[n];
        int k = 0;
        for (int i = 0; i < n && k < n; i++) {
            if (base.label(i) == 0) {
                idx[k++] = i;
            }
        }
        return base.subset(name, Arrays.copyOf(idx, k));
    }

    @Test
    void selectedEpochAndItsWeightsAgree() {
        // select on AUC, undefined on a one-class validation set: no epoch is ever "better"
        ImageSet train = TestImages.withNanImage("train", N_TRAIN, -1, 1);
        ImageSet val = oneClass("val", 30, 2);
        Run one = run(cfg("strategy = full", "train.select_metric = auc", "train.epochs = 1"), train, val, null);
        Run two = run(cfg("strategy = full", "train.select_metric = auc", "train.epochs = 2"), train, val, null);
        assertTrue(Double.isNaN(two.out().epochs().get(0).val().macroAuc()));
        int best = two.out().bestEpoch();
        assertEquals(two.out().epochs().get(best).val(), two.out().bestVal());
        boolean sameAsEpoch0 = one.out().bestWeights().entrySet().stream()
                .allMatch(e -> Arrays.equals(e.getValue(), two.out().bestWeights().get(e.getKey())));
        assertEquals(best == 0, sameAsEpoch0,
                "bestEpoch " + best + " but the returned weights are " + (sameAsEpoch0 ? "" : "not ") + "epoch 0's");
    }

    // ---- (c) non-finite losses ----

    /** The index of an image that is in batch 2 of epoch 0 (so step 2) with this seed. */
    private static int imageInStep2(long seed) {
        return BatchOrder.epoch(N_TRAIN, BATCH, seed, 0).get(2)[0];
    }

    private static Set<Long> stepsWithImage(int image, long seed, int epochs) {
        Set<Long> out = new java.util.TreeSet<>();
        for (int e = 0; e < epochs; e++) {
            List<int[]> batches = BatchOrder.epoch(N_TRAIN, BATCH, seed, e);
            for (int b = 0; b < batches.size(); b++) {
                for (int i : batches.get(b)) {
                    if (i == image) {
                        out.add((long) e * STEPS_PER_EPOCH + b);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void nanLossFailsWithTheStepAndTheRates() {
        JobConfig c = cfg("strategy = metalr", "meta.source = val", "train.on_nan = fail", "train.seed = 5");
        ImageSet train = TestImages.withNanImage("train", N_TRAIN, imageInStep2(5), 1);
        ImageSet val = TestImages.withNanImage("val", 32, -1, 2);
        List<StepReport> seen = new ArrayList<>();
        RunSetup s = RunSetup.from(c, 1, 3);
        Trainer t = new Trainer(c, s.net(), s.groups(), s.plan(), Device.cpu(), line -> { });
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> t.fit(s.initial(), train, val, val, seen::add));
        assertEquals(2, seen.size(), "steps 0 and 1 ran");
        String msg = e.getMessage();
        assertTrue(Pattern.compile("\\bstep 2\\b").matcher(msg).find(), msg);
        assertTrue(msg.contains(Arrays.toString(seen.get(1).lrAfter())), "the current rates " + Arrays.toString(seen.get(1).lrAfter()) + " in: " + msg);
        assertFalse(Arrays.equals(seen.get(1).lrAfter(), s.plan().initialLr()), "rates had moved, so the message shows current ones");
    }

    @Test
    void nanLossIsSkippedAndCounted() {
        long seed = 5;
        int nan = imageInStep2(seed);
        JobConfig c = cfg("strategy = metalr", "meta.source = val", "train.on_nan = skip", "train.seed = " + seed);
        Run r = run(c, TestImages.withNanImage("train", N_TRAIN, nan, 1), TestImages.withNanImage("val", 32, -1, 2), TestImages.withNanImage("test", 32, -1, 3));
        Set<Long> expected = stepsWithImage(nan, seed, 2);
        assertTrue(expected.contains(2L));
        assertEquals(expected.size(), r.out().skippedSteps());
        assertEquals(2 * STEPS_PER_EPOCH, r.out().steps());
        for (StepReport s : r.steps()) {
            assertEquals(expected.contains(s.step()), s.skipped(), "step " + s.step());
        }
        r.out().bestWeights().forEach((k, v) -> {
            for (float x : v) {
                assertTrue(Float.isFinite(x), k + " has a non-finite value");
            }
        });
        assertTrue(Double.isFinite(r.out().bestVal().loss()), "val loss " + r.out().bestVal().loss());
        assertTrue(Double.isFinite(r.out().test().loss()), "test loss " + r.out().test().loss());
    }

    @Test
    void upperCaseSkipIsHonoured() {
        long seed = 5;
        JobConfig c = cfg("strategy = full", "train.on_nan = SKIP", "train.seed = " + seed);
        RunSetup s = RunSetup.from(c, 1, 3);
        Trainer t = new Trainer(c, s.net(), s.groups(), s.plan(), Device.cpu(), line -> { });
        List<StepReport> seen = new ArrayList<>();
        try {
            t.fit(s.initial(), TestImages.withNanImage("train", N_TRAIN, imageInStep2(seed), 1), TestImages.withNanImage("val", 32, -1, 2), null, seen::add);
        } catch (TrainingDivergedException e) {
            fail("train.on_nan = SKIP was treated as fail: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            // the NaN-polluted batch-norm statistics break evaluation later (nanLossIsSkippedAndCounted)
        }
        assertTrue(seen.size() > 2 && seen.get(2).skipped(), "step 2 is skipped");
    }

    /** TrainStep with skipping on: a non-finite batch changes nothing and the next batch trains normally. */
    @Test
    void trainStepSkipsANonFiniteBatch() {
        try (StepFixture f = new StepFixture(true)) {
            f.step(false, 0);
            LinkedHashMap<String, float[]> before = f.weights.toHost();
            double[] lr = f.step.learningRates();
            long optSteps = f.step.optimizer().step();
            StepReport r = f.step(true, 1);
            assertTrue(r.skipped());
            assertTrue(Double.isNaN(r.trainLoss()));
            assertArrayEquals(lr, r.lrAfter(), 0.0);
            assertArrayEquals(lr, f.step.learningRates(), 0.0);
            assertEquals(optSteps, f.step.optimizer().step(), "the optimizer did not advance");
            LinkedHashMap<String, float[]> after = f.weights.toHost();
            for (ParamSpec s : f.net.params()) {
                if (s.trainable()) {
                    assertArrayEquals(before.get(s.name()), after.get(s.name()), s.name());
                }
            }
            StepReport next = f.step(false, 2);
            assertFalse(next.skipped());
            assertTrue(Double.isFinite(next.trainLoss()));
        }
    }

    @Test
    void skippedStepLeavesRunningStatsUntouched() {
        try (StepFixture f = new StepFixture(true)) {
            f.step(false, 0);
            LinkedHashMap<String, float[]> before = f.weights.toHost();
            assertTrue(f.step(true, 1).skipped());
            LinkedHashMap<String, float[]> after = f.weights.toHost();
            for (ParamSpec s : f.net.params()) {
                assertArrayEquals(before.get(s.name()), after.get(s.name()), s.name());
            }
        }
    }

    @Test
    void trainStepFailsOnANonFiniteBatchWithTheStepAndRates() {
        try (StepFixture f = new StepFixture(false)) {
            f.step(false, 0);
            f.step(false, 1);
            String rates = Arrays.toString(f.step.learningRates());
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> f.step(true, 7));
            assertTrue(Pattern.compile("\\bstep 7\\b").matcher(e.getMessage()).find(), e.getMessage());
            assertTrue(e.getMessage().contains(rates), e.getMessage());
        }
    }

    /** A TrainStep of metalr on reference_cnn, with clean or all-NaN batches of 8 images. */
    private static final class StepFixture implements AutoCloseable {
        final io.metalr.nn.Network net = io.metalr.model.Models.create("reference_cnn", 1, 3);
        final io.metalr.groups.LayerGroups groups = io.metalr.groups.LayerGroups.auto(net);
        final io.metalr.nn.Weights weights = io.metalr.nn.Weights.initialize(net, 0, Device.cpu());
        final io.metalr.optim.Optimizer opt = io.metalr.optim.Optimizers.create(
                io.metalr.optim.Optimizers.Settings.adam(1e-4), weights.manager());
        final TrainStep step;
        final ImageSet clean = TestImages.withNanImage("clean", 16, -1, 8);
        final ImageSet nan;

        StepFixture(boolean skip) {
            StrategyPlan plan = StrategyPlan.of("metalr", groups, new StrategyPlan.Options(0.005, 0.1, 2, 0.8, 0));
            MetaLrSettings meta = new MetaLrSettings(MetaLrSettings.Lookahead.DESCENT, MetaLrSettings.LrUpdate.MULTIPLICATIVE,
                    MetaLrSettings.Direction.SGD, MetaLrSettings.Normalize.NONE, 0.1, 1e-6, 1e-2, 0, 1);
            step = new TrainStep(weights, groups, opt, meta, plan, skip);
            nan = TestImages.withNanImage("nan", 16, 3, 9);
        }

        StepReport step(boolean withNan, long n) {
            try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(Device.cpu())) {
                int[] idx = {0, 1, 2, 3, 4, 5, 6, 7};
                return step.run((withNan ? nan : clean).batch(m, idx), clean.batch(m, new int[] {8, 9, 10, 11, 12, 13}), 0, n);
            }
        }

        @Override
        public void close() {
            step.close();
            opt.close();
            weights.close();
        }
    }

    // ---- (d) the held head ----

    @Test
    void heldHeadKeepsItsRateDuringTheFirstEpoch() {
        Run r = run(cfg("strategy = metalr", "meta.hold_head_epochs = 1", "model.name = small_resnet"));
        int head = r.setup().groups().headIndex();
        double initialHead = r.setup().plan().initialLr()[head];
        boolean backboneMovedInEpoch0 = false;
        boolean headMovedInEpoch1 = false;
        for (StepReport s : r.steps()) {
            if (s.epoch() == 0) {
                assertEquals(initialHead, s.lrAfter()[head], 0.0, "step " + s.step());
                for (int j = 0; j < head; j++) {
                    backboneMovedInEpoch0 |= s.lrAfter()[j] != s.lrBefore()[j];
                }
            } else {
                headMovedInEpoch1 |= s.lrAfter()[head] != s.lrBefore()[head];
            }
        }
        assertTrue(backboneMovedInEpoch0, "the backbone rates are learnt while the head is held");
        assertTrue(headMovedInEpoch1, "the head rate is learnt after the hold");
        assertEquals(initialHead, r.out().epochs().get(0).lr()[head], 0.0);
        assertNotEquals(initialHead, r.out().epochs().get(1).lr()[head]);
    }
}
