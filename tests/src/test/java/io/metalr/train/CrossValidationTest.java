package io.metalr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.Folds;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/** k-fold cross-validation: stratified folds that partition the data, and the reference's summary. */
class CrossValidationTest {

    @Test
    void foldsPartitionTheDataAndAreStratified() {
        ImageSet data = SyntheticImages.generate("blobs", 3, 100, 1, 8, 1);
        int[] fold = Folds.assign(data, 4, 7);
        long[][] perClass = new long[4][3];
        for (int i = 0; i < fold.length; i++) {
            perClass[fold[i]][data.label(i)]++;
        }
        for (int c = 0; c < 3; c++) {
            long min = Long.MAX_VALUE, max = 0;
            for (int f = 0; f < 4; f++) {
                min = Math.min(min, perClass[f][c]);
                max = Math.max(max, perClass[f][c]);
            }
            assertTrue(max - min <= 1, "class " + c + " is spread unevenly over folds");
        }
        assertEquals(java.util.Arrays.toString(fold), java.util.Arrays.toString(Folds.assign(data, 4, 7)), "same seed, same folds");
    }

    @Test
    void threeFoldRunSummarisesTestMetricsOfEachFold() {
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString(String.join("\n",
                "model.name = reference_cnn", "strategy = full", "train.epochs = 1", "train.batch_size = 16",
                "train.log_every = 0", "data.folds = 3")));
        ImageSet all = SyntheticImages.generate("blobs", 3, 90, 1, 12, 3);
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        List<String> log = new ArrayList<>();
        CrossValidation.Result r = CrossValidation.run(cfg, setup, all, 3, Device.cpu(), log::add);
        assertEquals(3, r.folds().size());
        assertEquals(3, r.summary().folds());
        long tested = 0;
        for (long[] row : r.summary().confusionMatrixSum()) {
            for (long v : row) {
                tested += v;
            }
        }
        assertEquals(90, tested, "every image is tested exactly once");
        double mean = r.folds().stream().mapToDouble(o -> o.test().accuracy()).average().orElseThrow();
        assertEquals(mean, r.summary().accuracyMean(), 1e-12);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("fold 3/3")), log.toString());
    }
}
