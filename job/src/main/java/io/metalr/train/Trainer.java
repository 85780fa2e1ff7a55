package io.metalr.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.metalr.config.JobConfig;
import io.metalr.data.Batch;
import io.metalr.data.BatchOrder;
import io.metalr.data.ImageSet;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.eval.ModelSelection;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.MetaLrSettings;
import io.metalr.nn.Network;
import io.metalr.nn.Weights;
import io.metalr.optim.Optimizer;
import io.metalr.optim.Optimizers;
import io.metalr.udf.image.Augmenter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The single-process training loop: epochs of {@link TrainStep}s, validation after each epoch,
 * model selection on the validation metric, test metrics of the selected model.
 */
public final class Trainer {

    /** One epoch's summary. */
    public record EpochResult(int epoch, long steps, double trainLoss, double trainAccuracy,
            ClassificationMetrics val, double[] lr, double seconds) {}

    /** The run's result; {@code bestWeights} are the selected model's tensors on the host. */
    public record Outcome(List<EpochResult> epochs, int bestEpoch, ClassificationMetrics bestVal,
            ClassificationMetrics test, LinkedHashMap<String, float[]> bestWeights, double[] finalLr,
            long steps, long skippedSteps, double seconds) {}

    private final JobConfig cfg;
    private final Network net;
    private final LayerGroups groups;
    private final StrategyPlan plan;
    private final Device device;
    private final Consumer<String> log;

    public Trainer(JobConfig cfg, Network net, LayerGroups groups, StrategyPlan plan, Device device, Consumer<String> log) {
        this.cfg = cfg;
        this.net = net;
        this.groups = groups;
        this.plan = plan;
        this.device = device;
        this.log = log;
    }

    public Outcome fit(Map<String, float[]> initial, ImageSet train, ImageSet val, ImageSet test, Consumer<StepReport> onStep) {
        int epochs = cfg.integer("train.epochs");
        int batchSize = cfg.integer("train.batch_size");
        int metaBatch = cfg.metaBatchSize();
        int evalBatch = cfg.integer("train.eval_batch_size");
        long seed = cfg.integer("train.seed");
        int logEvery = cfg.integer("train.log_every");
        boolean skipNan = cfg.word("train.on_nan").equals("skip");
        ImageSet metaSource = cfg.word("meta.source").equals("val") ? val : train;
        MetaLrSettings meta = cfg.meta();
        Augmenter augmenter = cfg.augmenter();
        ModelSelection selection = ModelSelection.forMetric(cfg.word("train.select_metric"));
        long started = System.nanoTime();
        List<EpochResult> history = new ArrayList<>();
        LinkedHashMap<String, float[]> best = null;
        int bestEpoch = -1;
        long steps = 0;
        long skipped = 0;
        int stepsPerEpoch = BatchOrder.epoch(train.size(), batchSize, seed, 0).size();
        long totalSteps = (long) stepsPerEpoch * epochs;

        try (Weights weights = Weights.fromHost(net, initial, device);
                Optimizer opt = Optimizers.create(cfg.optimizer(), weights.manager());
                TrainStep step = new TrainStep(weights, groups, opt, meta, plan, skipNan)) {
            for (int epoch = 0; epoch < epochs; epoch++) {
                long epochStart = System.nanoTime();
                double lossSum = 0;
                long correct = 0;
                long seen = 0;
                for (int[] idx : BatchOrder.epoch(train.size(), batchSize, seed, epoch)) {
                    StepReport r;
                    try (NDManager batchManager = NDManager.newBaseManager(device)) {
                        Batch b = augmenter.enabled()
                                ? train.augmentedBatch(batchManager, idx, augmenter, seed, epoch)
                                : train.batch(batchManager, idx);
                        Batch m = plan.learning() == StrategyPlan.Learning.FIXED ? null
                                : metaSource.batch(batchManager, BatchOrder.metaBatch(metaSource.size(), metaBatch, seed, epoch, steps));
                        r = step.run(b, m, epoch, steps);
                    }
                    steps++;
                    if (r.skipped()) {
                        skipped++;
                    } else {
                        lossSum += r.trainLoss() * r.count();
                        correct += r.correct();
                        seen += r.count();
                    }
                    if (onStep != null) {
                        onStep.accept(r);
                    }
                    if (logEvery > 0 && steps % logEvery == 0) {
                        log.accept(Progress.line(epoch, epochs, steps, totalSteps, steps, r, started, batchSize));
                    }
                }
                ClassificationMetrics v = Evaluator.evaluate(weights, val, evalBatch);
                double[] lr = step.learningRates();
                EpochResult er = new EpochResult(epoch, steps, seen == 0 ? Double.NaN : lossSum / seen,
                        seen == 0 ? Double.NaN : (double) correct / seen, v, lr, (System.nanoTime() - epochStart) / 1e9);
                history.add(er);
                if (selection.offer(epoch, steps, v)) {
                    best = weights.toHost();
                    bestEpoch = epoch;
                }
                log.accept(Progress.epochLine(er, epochs));
            }
            if (best == null) {
                // the metric was never defined (e.g. AUC on a validation set lacking a class): keep the last epoch
                best = weights.toHost();
                bestEpoch = epochs - 1;
                log.accept("model selection: " + cfg.word("train.select_metric") + " was undefined in every epoch; keeping the last epoch");
            }
            weights.load(best);
            ClassificationMetrics testMetrics = test == null ? null : Evaluator.evaluate(weights, test, evalBatch);
            return new Outcome(history, bestEpoch, history.get(bestEpoch).val(), testMetrics, best,
                    step.learningRates(), steps, skipped, (System.nanoTime() - started) / 1e9);
        }
    }
}
