package io.metalr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.spark.RecordsRunTest;
import io.metalr.train.Trainer;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** {@code train} of a table with distributed.shards >= 1 goes the records path: the driver gets no image. */
class RecordsPathTest {

    @TempDir
    Path dir;

    /**
     * Every byte a task sends back to the driver: the records' metadata, the stores' handles, the
     * training stage's outcomes (its steps' numbers and the scores come over the stage's own link,
     * a few hundred bytes a step). Far below the images' bytes, which a driver reading the table
     * (the single-process load) receives whole.
     */
    @Test
    void theDriverReceivesNoImageBytes() throws Exception {
        int n = 80;
        String t = RecordsRunTest.table(dir, "big.parquet", n, 96, 2);
        long imageBytes = TestSpark.session().read().parquet(t).selectExpr("sum(length(image))").first().getLong(0);
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString(String.join("\n", List.of("device = cpu",
                "model.name = small_resnet", "train.epochs = 1", "train.batch_size = 8", "train.log_every = 0",
                "data.format = table", "data.path = \"" + t + "\"", "data.image_size = 32", "data.channels = 3",
                "distributed.shards = 2"))));

        SparkContext sc = TestSpark.session().sparkContext();
        AtomicLong received = new AtomicLong();
        SparkListener bytes = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskMetrics() != null) {
                    received.addAndGet(end.taskMetrics().resultSize());
                }
            }
        };
        sc.addSparkListener(bytes);
        Trainer.Outcome out;
        try {
            out = TrainCommand.run(cfg);
            sc.listenerBus().waitUntilEmpty();
        } finally {
            sc.removeSparkListener(bytes);
        }
        assertTrue(out.test().sampleCount() > 0, "evaluated the test split");
        assertTrue(received.get() < imageBytes / 4, "the driver received " + received.get() + " bytes from tasks; the images are "
                + imageBytes + " bytes");
    }

    @Test
    void evalTestFalseEvaluatesNoTestSplit() throws Exception {
        String t = RecordsRunTest.table(dir, "small.parquet", 40, 12, 1);
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString(String.join("\n", List.of("device = cpu",
                "model.name = small_resnet", "train.epochs = 3", "train.batch_size = 4", "train.log_every = 0",
                "data.format = table", "data.path = \"" + t + "\"", "data.image_size = 12", "data.channels = 3",
                "distributed.shards = 2", "train.max_steps = 5", "eval.test = false"))));
        Trainer.Outcome out = TrainCommand.run(cfg);
        assertNull(out.test());
        // 28 training images, 14 a shard: 3 steps of 4 an epoch
        assertEquals(5, out.steps(), "train.max_steps");
        assertEquals(2, out.epochs().size(), "a whole epoch and the one the stop ended, each evaluated once");
    }

    @Test
    void aBadRowUnderFailIsNamedAndExitsThree() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            rows.add(RowFactory.create(RecordsRunTest.pngOf(i, 12), i % 2, "p" + i));
        }
        rows.set(6, RowFactory.create(Arrays.copyOf(RecordsRunTest.pngOf(6, 12), 40), 0, "p6")); // a PNG cut short
        String t = dir.resolve("bad.parquet").toString();
        TestSpark.session().createDataFrame(rows, RecordsRunTest.SCHEMA).repartition(1).write().parquet(t);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream was = System.err;
        int code;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            code = Main.execute("train", "--set", "device=cpu", "--set", "model.name=small_resnet", "--set", "train.epochs=1",
                    "--set", "data.format=table", "--set", "data.path=\"" + t + "\"", "--set", "data.onBadRecord=fail",
                    "--set", "distributed.shards=2");
        } finally {
            System.setErr(was);
        }
        assertEquals(ExitCodes.BAD_DATA, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("bad.parquet row 7"), err.toString(StandardCharsets.UTF_8));
    }
}
