package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.typesafe.config.ConfigFactory;

import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.data.Batch;
import io.metalr.data.ImageSet;
import io.metalr.data.Shards;
import io.metalr.data.SyntheticImages;
import io.metalr.nn.ParamSpec;
import io.metalr.nn.Weights;
import io.metalr.train.ModelCompute;
import io.metalr.train.RunSetup;
import io.metalr.train.StepReport;
import io.metalr.train.fit.FitLoop;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A distributed step's training loss is the mean cross-entropy over every image of the step, as a
 * single process's loss is over its batch's images, also when the shards' batches differ in size
 * (a batch larger than a shard takes the whole shard: 15 images in 2 shards give batches of 8 and 7).
 */
class StepLossOverImagesTest {

    @Test
    void unequalShardBatchesWeighEveryImageOnce() {
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString(String.join("\n", "device = cpu", "model.name = small_resnet",
                "strategy = full", "train.epochs = 1", "train.batch_size = 10", "train.lr = 0.01", "train.log_every = 0",
                "data.augment.enabled = false")));
        ImageSet train = SyntheticImages.generate("blobs", 3, 15, 1, 12, 5);
        ImageSet val = SyntheticImages.generate("blobs", 3, 9, 1, 12, 6);
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        long seed = cfg.integer("train.seed");

        List<StepReport> steps = new ArrayList<>();
        try (SparkEngine engine = new SparkEngine(cfg, setup, MetaMode.GLOBAL, 2, TestSpark.context(), train, val, null,
                s -> { })) {
            new FitLoop(cfg, setup, engine, List.of((r, t) -> steps.add(r)), null, null, s -> { }).run();
        }
        StepReport first = steps.get(0);
        assertEquals(15, first.count(), "both shards' whole batches");

        // the reference: each image's cross-entropy at the initial weights, in its shard's batch
        // (batch-norm in training mode takes the statistics of the batch it is in), averaged over all
        Shards shards = Shards.of(train, 2, seed);
        double sum = 0;
        int images = 0;
        double[] shardMean = new double[2];
        List<String> buffers = setup.net().params().stream().filter(p -> !p.trainable()).map(ParamSpec::name).toList();
        try (Weights w = Weights.fromHost(setup.net(), setup.initial(), Device.cpu());
                NDManager m = w.manager().newSubManager()) {
            for (int s = 0; s < 2; s++) {
                int[] batch = shards.trainBatch(s, seed, 0, 0, 10);
                Map<String, ai.djl.ndarray.NDArray> staged = ModelCompute.stagedCopies(w, buffers, m);
                Batch b = train.batch(m, batch);
                float[] p = setup.net().forward(n -> staged.getOrDefault(n, w.get(n)), b.x(), true).softmax(1).toFloatArray();
                double shardSum = 0;
                for (int i = 0; i < batch.length; i++) {
                    shardSum -= Math.log(p[i * 3 + train.label(batch[i])]);
                }
                shardMean[s] = shardSum / batch.length;
                sum += shardSum;
                images += batch.length;
            }
        }
        assertEquals(15, images);
        assertTrue(Math.abs(shardMean[0] - shardMean[1]) > 1e-3, "the shards' mean losses differ: "
                + shardMean[0] + ", " + shardMean[1]);
        double expected = sum / images;
        assertEquals(expected, first.trainLoss(), 1e-5 * expected, "the mean over the step's 15 images");
    }
}
