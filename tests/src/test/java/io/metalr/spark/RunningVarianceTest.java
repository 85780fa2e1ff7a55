package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.typesafe.config.ConfigFactory;

import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.Shards;
import io.metalr.data.SyntheticImages;
import io.metalr.nn.ParamSpec;
import io.metalr.nn.Weights;
import io.metalr.train.ModelCompute;
import io.metalr.train.RunSetup;
import io.metalr.train.fit.FitLoop;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * meta_mode = global, as README and reference.conf state it: batch norm runs per shard, and the
 * running variance the driver keeps is the mean of the shards' own, which lacks the spread of the
 * shard means that one process over the same images (one batch of both shards' batches) counts.
 * Checked after one step of 2 shards on local[2]: the driver's running_var is the mean of the
 * shards', and one process's running_var of the stem (whose input is the same images in both) is
 * what the law of total variance makes of the shards' statistics (PyTorch's running_var takes the
 * unbiased variance over batch x height x width); the difference between the two is printed per
 * layer (the figure README quotes).
 */
class RunningVarianceTest {

    /** PyTorch's batch-norm momentum. */
    private static final double M = 0.1;

    @Test
    void theDriversRunningVarianceIsTheShardsMeanWithoutTheSpreadOfTheirMeans() {
        for (int batch : new int[] {16, 64}) {
            measure(batch);
        }
    }

    private static void measure(int batch) {
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString(String.join("\n", "device = cpu", "model.name = small_resnet",
                "strategy = full", "train.epochs = 1", "train.batch_size = " + batch, "train.lr = 0.01", "train.log_every = 0",
                "data.augment.enabled = false")));
        int size = 16;
        ImageSet train = SyntheticImages.generate("blobs", 3, 2 * batch, 1, size, 5);
        ImageSet val = SyntheticImages.generate("blobs", 3, 9, 1, size, 6);
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        long seed = cfg.integer("train.seed");
        Map<String, float[]> driver;
        try (SparkEngine engine = new SparkEngine(cfg, setup, MetaMode.GLOBAL, 2, TestSpark.context(), train, val, null,
                s -> { })) {
            assertEquals(1, new FitLoop(cfg, setup, engine, List.of(), null, null, s -> { }).run().steps());
            driver = engine.weights();
        }

        // the shards' batches, each through batch norm on its own, and both as one batch
        Shards shards = Shards.of(train, 2, seed);
        int[][] batches = {shards.trainBatch(0, seed, 0, 0, batch), shards.trainBatch(1, seed, 0, 0, batch)};
        int[] both = IntStream.concat(IntStream.of(batches[0]), IntStream.of(batches[1])).toArray();
        List<Map<String, float[]>> perShard = new ArrayList<>();
        for (int[] b : batches) {
            perShard.add(buffersAfter(setup, train, b));
        }
        Map<String, float[]> one = buffersAfter(setup, train, both);

        System.out.printf("running_var after one step, 2 shards of %d images (%dx%d px): shards' mean vs one process%n",
                batch, size, size);
        System.out.println("layer | mean rel. diff of running_var | of the batch variance | spread of shard means / variance");
        double sumRv = 0, sumVar = 0, maxVar = 0;
        int layers = 0;
        for (String bn : setup.net().params().stream().filter(p -> p.kind() == ParamSpec.Kind.RUNNING_VAR)
                .map(p -> p.name().substring(0, p.name().length() - ".running_var".length())).toList()) {
            float[] rv0 = setup.initial().get(bn + ".running_var");
            float[] rm0 = setup.initial().get(bn + ".running_mean");
            float[] avg = driver.get(bn + ".running_var");
            float[] rvOne = one.get(bn + ".running_var");
            long hw = (long) size * size / (1L << (2 * stage(bn))); // the layer's height x width
            double rvDiff = 0, varDiff = 0, spreadShare = 0;
            for (int c = 0; c < rv0.length; c++) {
                double meanOfShards = 0, total = 0, biasedWithin = 0, mean = 0;
                double[] mu = new double[2];
                long[] n = new long[2];
                for (int s = 0; s < 2; s++) {
                    n[s] = batches[s].length * hw;
                    total += n[s];
                    mu[s] = (perShard.get(s).get(bn + ".running_mean")[c] - (1 - M) * rm0[c]) / M;
                    double unbiased = (perShard.get(s).get(bn + ".running_var")[c] - (1 - M) * rv0[c]) / M;
                    meanOfShards += perShard.get(s).get(bn + ".running_var")[c] / 2;
                    biasedWithin += unbiased * (n[s] - 1); // the sum of squares about the shard's mean
                    mean += mu[s] * n[s];
                }
                mean /= total;
                double between = 0;
                for (int s = 0; s < 2; s++) {
                    between += n[s] * (mu[s] - mean) * (mu[s] - mean);
                }
                // law of total variance: the sum of squares about the overall mean is the shards' own plus their means' spread
                double unbiasedAll = (biasedWithin + between) / (total - 1);
                double predicted = (1 - M) * rv0[c] + M * unbiasedAll;
                assertEquals(meanOfShards, avg[c], 1e-6 * Math.max(1, Math.abs(meanOfShards)),
                        bn + "[" + c + "]: the driver keeps the mean of the shards' running_var");
                if (bn.equals("bn1")) {
                    // only the stem's input is the same image in both: deeper layers see activations
                    // normalised by the batch norms before them, per shard in one, over both in the other
                    assertEquals(predicted, rvOne[c], 1e-5 * Math.abs(rvOne[c]), bn + "[" + c + "]: one process's running_var");
                }
                double varOne = (rvOne[c] - (1 - M) * rv0[c]) / M;
                double varAvg = (avg[c] - (1 - M) * rv0[c]) / M;
                rvDiff += Math.abs(avg[c] - rvOne[c]) / rvOne[c];
                varDiff += Math.abs(varAvg - varOne) / varOne;
                spreadShare += between / (biasedWithin + between);
            }
            int ch = rv0.length;
            System.out.printf("%s | %.2e | %.2e | %.2e%n", bn, rvDiff / ch, varDiff / ch, spreadShare / ch);
            sumRv += rvDiff / ch;
            sumVar += varDiff / ch;
            maxVar = Math.max(maxVar, varDiff / ch);
            layers++;
        }
        System.out.printf("batch %d per shard, over %d layers: running_var %.2e mean rel. diff; batch variance %.2e mean, %.2e worst layer%n",
                batch, layers, sumRv / layers, sumVar / layers, maxVar);
        assertTrue(sumVar > 0, "the shards' means differ: the two are not the same");
    }

    /** The stage of a batch-norm layer of small_resnet: 0 for the stem and layer1 (full size), 1 for layer2, 2 for layer3. */
    private static int stage(String bn) {
        return bn.startsWith("layer2") ? 1 : bn.startsWith("layer3") ? 2 : 0;
    }

    /** The batch-norm buffers after one training-mode forward of {@code indices} at the initial weights. */
    private static Map<String, float[]> buffersAfter(RunSetup setup, ImageSet set, int[] indices) {
        List<String> buffers = setup.net().params().stream().filter(p -> !p.trainable()).map(ParamSpec::name).toList();
        try (Weights w = Weights.fromHost(setup.net(), setup.initial(), Device.cpu());
                NDManager m = w.manager().newSubManager()) {
            Map<String, NDArray> staged = ModelCompute.stagedCopies(w, buffers, m);
            setup.net().forward(n -> staged.getOrDefault(n, w.get(n)), set.batch(m, indices).x(), true);
            Map<String, float[]> out = new LinkedHashMap<>();
            staged.forEach((k, v) -> out.put(k, v.toFloatArray()));
            return out;
        }
    }
}
