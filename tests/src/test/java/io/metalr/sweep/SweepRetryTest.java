package io.metalr.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;

import io.metalr.MiniHdfs;
import io.metalr.data.read.DataPaths;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A Spark task retry ({@code local[2,2]}: two attempts per task) of a task holding every trial of a
 * sweep does not run again the trials its failed attempt committed; the rows live on HDFS.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SweepRetryTest {

    @Test
    void aRetriedTaskRunsOnlyTheTrialsItsFailedAttemptDidNotCommit(@TempDir java.nio.file.Path tmp) throws Exception {
        MiniDFSCluster hdfs = MiniHdfs.start(tmp.resolve("dfs"));
        String root = MiniHdfs.root(hdfs);
        SparkSession spark = io.metalr.TestSpark.replacing("local[2,2]", "metalr-sweep-retry");
        System.setProperty(TrialTask.FAIL_FIRST_ATTEMPT, "1");
        try {
            String out = root + "/sweeps/retry";
            SweepSpec spec = SweepSpec.from(ConfigFactory.parseString("""
                    device = cpu
                    model.name = reference_cnn
                    train { epochs = 1, batch_size = 16, lr = 0.005, log_every = 0, eval_batch_size = 64 }
                    data.synthetic { classes = 3, train = 48, val = 24, test = 24, size = 12 }
                    sweep { seeds = [0, 1], grid { strategy = [full, linear_probe] }, parallelism = 1, trial_runs = false, out = "%s" }
                    """.formatted(out)));
            long started = TrialTask.started();
            Sweep.Result result = Sweep.run(spark, spec, false, false, s -> {});

            assertEquals(4, result.results().size());
            assertTrue(result.results().stream().allMatch(TrialResult::ok));
            // attempt 0 ran trials 0, 2 and 3 (trial 1's failure did not stop them), attempt 1 ran trial 1 alone
            assertEquals(4, TrialTask.started() - started, "no trial ran twice");
            Map<Integer, JsonNode> rows = rows(FileSystem.get(URI.create(root + "/"), DataPaths.configuration()), new Path(out, "rows"));
            assertEquals(List.of(0, 1, 2, 3), List.copyOf(rows.keySet()));
            rows.forEach((id, row) -> assertEquals(id == 1 ? 1 : 0, row.get("attempt").asInt(), "attempt that committed trial " + id));
            assertEquals(1, rows.values().stream().map(r -> r.get("run").asText()).distinct().count());
        } finally {
            System.clearProperty(TrialTask.FAIL_FIRST_ATTEMPT);
            io.metalr.TestSpark.stop(spark); // the next test class gets the shared local[2] session again
            DataPaths.fileSystem(root + "/", DataPaths.configuration()).close();
            hdfs.shutdown(true);
        }
    }

    private static Map<Integer, JsonNode> rows(FileSystem fs, Path dir) throws Exception {
        Map<Integer, JsonNode> rows = new TreeMap<>();
        for (FileStatus s : fs.listStatus(dir)) {
            if (s.getPath().getName().matches("trial-\\d+\\.json")) {
                try (InputStream in = fs.open(s.getPath())) {
                    JsonNode row = new ObjectMapper().readTree(in);
                    rows.put(row.get("result").get("trial").asInt(), row);
                }
            }
        }
        return rows;
    }
}
