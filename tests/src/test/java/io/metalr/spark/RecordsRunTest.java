package io.metalr.spark;

import static io.metalr.TrainedRuns.assertSameRun;
import static io.metalr.TrainedRuns.run;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;

import io.metalr.TestImages;
import io.metalr.TestSpark;
import io.metalr.TrainedRuns.Run;
import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.load.LocalStores;
import io.metalr.train.RunSetup;
import io.metalr.train.fit.InProcessEngine;
import io.metalr.train.fit.StepEngine;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A distributed run of a table trains and evaluates on the stores the executors built
 * ({@link ExecutorData}, {@link ShardPartitions#fromStores}) and changes no number: with one shard
 * it is the single-process run of the same table read by {@link DataSets}, bitwise (steps, weights,
 * validation and test metrics); with two shards it is the two-shard run over the broadcast sets.
 */
public class RecordsRunTest {

    public static final StructType SCHEMA = new StructType()
            .add("image", DataTypes.BinaryType)
            .add("label", DataTypes.IntegerType)
            .add("patient_id", DataTypes.StringType);

    @TempDir
    Path dir;

    /** {@code n} PNGs of {@code size}² pixels, RGB and some gray, class-dependent plus noise, in {@code files} files. */
    public static String table(Path dir, String name, int n, int size, int files) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create(pngOf(i, size), i % 3, "p" + i / 2));
        }
        String out = dir.resolve(name).toString();
        TestSpark.session().createDataFrame(rows, SCHEMA).repartition(files).write().parquet(out);
        return out;
    }

    /** Image {@code i} of a {@link #table}, as PNG. */
    public static byte[] pngOf(int i, int size) {
        Random rng = new Random(i);
        boolean gray = i % 5 == 4;
        BufferedImage img = new BufferedImage(size, size, gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int v = ((x * (i % 3 + 1) + y) * 20 + rng.nextInt(60)) & 0xFF;
                img.setRGB(x, y, v << 16 | (255 - v) << 8 | (v * 3 & 0xFF));
            }
        }
        return TestImages.png(img);
    }

    static JobConfig cfg(String table, int shards, String... extra) {
        List<String> lines = new ArrayList<>(List.of("device = cpu", "model.name = small_resnet", "strategy = metalr",
                "train.epochs = 2", "train.batch_size = 8", "train.lr = 0.01", "train.log_every = 0",
                "train.eval_batch_size = 5", "train.select_metric = loss", "meta.hold_head_epochs = 0", "meta.hyper_lr = 5",
                "meta.direction = optimizer", "meta.source = val", "data.augment.enabled = true", "data.format = table",
                "data.path = \"" + table + "\"", "data.image_size = 0", "data.channels = 0",
                "distributed.shards = " + shards));
        lines.addAll(List.of(extra));
        return JobConfig.of(ConfigFactory.parseString(String.join("\n", lines)));
    }

    /** The table read by {@link DataSets} on the driver, trained in this process or on its broadcast shards. */
    public static Run fromDataSets(JobConfig cfg, int shards) {
        DataSets.Loaded d = DataSets.load(cfg);
        RunSetup setup = RunSetup.from(cfg, d.channels(), d.numClasses());
        StepEngine engine = shards == 0 ? new InProcessEngine(cfg, setup, Device.cpu(), d.train(), d.val(), d.test())
                : new SparkEngine(cfg, setup, MetaMode.GLOBAL, shards, TestSpark.context(), d.train(), d.val(), d.test(),
                        s -> { });
        return run(cfg, setup, engine);
    }

    /** The table loaded into the executors' stores and trained there. */
    public static Run fromStores(JobConfig cfg, int shards) {
        ExecutorData data = ExecutorData.load(cfg, TestSpark.context(), shards, s -> { });
        RunSetup setup = RunSetup.from(cfg, data.channels(), data.numClasses());
        String key = data.loaded().dataKey();
        Run r = run(cfg, setup, new SparkEngine(cfg, setup, MetaMode.GLOBAL, data.partitions(), TestSpark.context(),
                s -> { }));
        assertTrue(LocalStores.keys().stream().noneMatch(k -> k.dataKey().equals(key)), "the run released its stores");
        return r;
    }

    @Test
    void oneShardOfStoresIsTheInProcessRunOfTheTable() {
        // one file (DataSets reads a table in Spark's file order, the records in rid order), gray and RGB images (channels 0: the stores' common shape, RGB), meta batches from val
        String t = table(dir, "one.parquet", 70, 12, 1);
        Run local = fromDataSets(cfg(t, 0), 0);
        assertTrue(local.steps().stream().anyMatch(s -> s.lrAfter()[0] != s.lrBefore()[0]), "the rates moved");
        assertSameRun(local, fromStores(cfg(t, 1), 1));
    }

    @Test
    void twoShardsOfStoresAreTheTwoBroadcastShards() {
        String t = table(dir, "two.parquet", 80, 12, 1);
        JobConfig cfg = cfg(t, 2, "meta.direction = sgd", "meta.source = train");
        assertSameRun(fromDataSets(cfg, 2), fromStores(cfg, 2));
    }
}
