package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What makes two runs the same run for --resume, and what it names when they are not. */
class RunFingerprintTest {

    private static final ImageSet TRAIN = SyntheticImages.generate("blobs", 3, 40, 1, 8, 5);
    private static final ImageSet VAL = SyntheticImages.generate("blobs", 3, 12, 1, 8, 6);

    private static JobConfig cfg(String... sets) {
        return JobConfig.of(ConfigFactory.parseString(String.join("\n", sets)));
    }

    private static Map<String, float[]> weights(float w) {
        Map<String, float[]> m = new LinkedHashMap<>();
        m.put("conv.weight", new float[] {w, 2, 3});
        m.put("fc.bias", new float[] {4});
        return m;
    }

    private static RunFingerprint of(JobConfig cfg, int shards, Map<String, float[]> initial, ImageSet train) {
        return RunFingerprint.of(cfg, shards, MetaMode.GLOBAL, initial, train, VAL, null);
    }

    private static final RunFingerprint A = of(cfg("train.lr = 0.01"), 2, weights(1), TRAIN);

    @Test
    void theSameRunHasTheSameFingerprintAndAnotherLrIsNamed() {
        assertEquals(List.of(), A.differences(of(cfg("train.lr = 0.01"), 2, weights(1), TRAIN)));
        assertEquals(List.of(), A.differences(of(cfg("train.lr = 1e-2"), 2, weights(1), TRAIN)), "one number, two spellings");
        assertEquals(List.of("train.lr: 0.01 in the checkpoint, 0.02 now"),
                A.differences(of(cfg("train.lr = 0.02"), 2, weights(1), TRAIN)));
    }

    @Test
    void onlyTheJobsKeysCountNotTheJvmsSystemProperties() {
        // a loaded config carries every system property: two drivers of one run differ in some
        assertTrue(cfg().raw().hasPath("java.version"), "the premise");
        assertTrue(A.values().keySet().stream().noneMatch(k -> k.startsWith("java.") || k.startsWith("sun.")
                || k.startsWith("user.")), A.values().keySet().toString());
        assertTrue(A.values().containsKey("train.lr") && A.values().containsKey("meta.hyper_lr"));
    }

    @Test
    void whereItRunsWhatItLogsHowItNamesRecordsAndHowOftenItSavesDoNotCount() {
        RunFingerprint b = of(cfg("train.lr = 0.01", "run.dir = \"/elsewhere\"", "train.log_every = 1",
                "train.checkpoint_every = 7", "train.keep_checkpoints = 5", "device = cpu", "distributed.master = \"local[2]\"",
                "sweep.seeds = [1, 2]", "report.record_ids = hashed"), 2, weights(1), TRAIN);
        assertEquals(List.of(), A.differences(b));
    }

    @Test
    void otherDataShardsOrInitialWeightsAreNamed() {
        ImageSet copy = TRAIN.subset("copy", java.util.stream.IntStream.range(0, TRAIN.size()).toArray());
        assertEquals(List.of(), A.differences(of(cfg("train.lr = 0.01"), 2, weights(1), copy)), "the same images");

        // one image fewer: another count and another digest
        ImageSet fewer = TRAIN.subset("fewer", java.util.stream.IntStream.range(1, TRAIN.size()).toArray());
        List<String> d = A.differences(of(cfg("train.lr = 0.01"), 2, weights(1), fewer));
        assertEquals(2, d.size(), d.toString());
        assertEquals("data.images.train: 40 in the checkpoint, 39 now", d.get(0));
        assertTrue(d.get(1).startsWith("data.sha256.train: "), d.get(1));

        // the same count, other pixels (a re-export of the data): the digest tells
        ImageSet other = SyntheticImages.generate("blobs", 3, 40, 1, 8, 99);
        d = A.differences(of(cfg("train.lr = 0.01"), 2, weights(1), other));
        assertEquals(1, d.size(), d.toString());
        assertTrue(d.get(0).startsWith("data.sha256.train: "), d.get(0));

        assertEquals(List.of("distributed.shards: 2 in the checkpoint, 4 now"),
                A.differences(of(cfg("train.lr = 0.01"), 4, weights(1), TRAIN)));
        d = A.differences(of(cfg("train.lr = 0.01"), 2, weights(9), TRAIN));
        assertEquals(1, d.size(), d.toString());
        assertTrue(d.get(0).startsWith("model.initial_weights_sha256: "), d.get(0));
    }
}
