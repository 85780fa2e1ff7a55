package io.metalr.bench;

import com.fasterxml.jackson.databind.ObjectMapper;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.load.LoadedShards;
import io.metalr.data.load.SparkLoader;
import io.metalr.data.load.StoreHandle;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.spark.ExecutorData;
import io.metalr.spark.MetaMode;
import io.metalr.spark.SparkEngine;
import io.metalr.spark.SparkSessions;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;
import io.metalr.train.fit.FitLoop;
import io.metalr.train.fit.StepEngine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * {@code submit/bench.sh scale}: data at cluster scale with a driver of 1 GB. Starts a standalone
 * cluster on this machine ({@link LocalCluster}: a Worker of 2 cores, 2 executors of 1 core),
 * makes (or reuses) the synthetic PNG table ({@link ScaleData}, {@code --images} images of
 * {@code --size}² RGB), then runs the driver in a child JVM with {@code -Xmx1g} and a GC log: it
 * reads the table's records (no images), places them 70/15/15 in 2 shards, loads the train and
 * val images into stores on the executors ({@link SparkLoader}), trains 20 MetaLR steps of
 * small_resnet on them (batch 32 a shard) and evaluates val once on the executors, under a
 * {@link HeapProbe}.
 *
 * <p>Prints one JSON summary line: images, raw_gb, driver_peak_heap_mb, cache_bytes_per_image,
 * raw_bytes_per_image, cache_over_raw, load_images_per_s, step_ms (median of steps 2..20) and
 * step_ms_p90, val_images, val_seconds, and {@code pass}; the exit code is 1 unless every image was
 * read, the driver's peak heap stayed within 1024 MB and the stores cost at most 1.1 times the raw
 * pixels.
 *
 * <p>Options: {@code --images N} (40000), {@code --size PX} (224), {@code --seed S} (1),
 * {@code --dir D} (the data sets' folder; {@code METALR_BENCH_DIR}, else {@code runs/bench}),
 * {@code --executor-memory 3g}, {@code --worker-memory 7g}.
 */
public final class ScaleBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHARDS = 2;
    private static final long DRIVER_HEAP_LIMIT_MB = 1024;
    private static final int STEPS = 20;

    private ScaleBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        int n = Integer.parseInt(opt.getOrDefault("images", "40000"));
        int size = Integer.parseInt(opt.getOrDefault("size", "224"));
        long seed = Long.parseLong(opt.getOrDefault("seed", "1"));
        String envDir = System.getenv("METALR_BENCH_DIR");
        Path root = Paths.get(opt.getOrDefault("dir", envDir == null || envDir.isBlank() ? "runs/bench" : envDir))
                .toAbsolutePath();
        Path run = Files.createDirectories(root.resolve("runs")).resolve("scale-" + System.currentTimeMillis());
        Files.createDirectories(run);

        LocalCluster.Settings settings = new LocalCluster.Settings(LocalCluster.jvmClasspath(), 2,
                opt.getOrDefault("worker-memory", "7g"), SHARDS, opt.getOrDefault("executor-memory", "3g"),
                LocalCluster.DJL_FLAGS, MallocEnv.read());
        Map<String, Object> summary = BenchOutput.summary("scale");
        try (LocalCluster cluster = LocalCluster.start(settings)) {
            Path set = ScaleData.folder(root, n, size);
            Path table = ScaleData.table(set);
            boolean reused = ScaleData.ready(set, n, size, seed);
            long t0 = System.nanoTime();
            if (!reused) {
                SparkSession gen = cluster.session("metalr-bench-scale-data", Map.of());
                ScaleData.ensure(gen, root, n, size, seed, Math.max(2, Math.min(64, n / 600)));
                cluster.stopSession();
            }
            double genSeconds = (System.nanoTime() - t0) / 1e9;
            BenchOutput.emit(Map.of("bench", "scale", "data", set.toString(), "reused", reused,
                    "generate_s", BenchOutput.round(genSeconds)));

            Map<String, Object> load = runDriver(cluster, table, run, seed, size);
            long images = ((Number) load.get("records")).longValue();
            long cached = ((Number) load.get("images_cached")).longValue();
            long bytes = ((Number) load.get("cache_bytes")).longValue();
            double peakMb = ((Number) load.get("driver_peak_heap_mb")).doubleValue();
            long raw = 3L * size * size;
            double perImage = cached == 0 ? 0 : (double) bytes / cached;
            summary.put("images", images);
            summary.put("images_cached", cached);
            summary.put("raw_gb", BenchOutput.round(images * (double) raw / 1e9));
            summary.put("driver_peak_heap_mb", BenchOutput.round(peakMb));
            summary.put("driver_gc_collections", load.get("driver_gc_collections"));
            summary.put("cache_bytes_per_image", BenchOutput.round(perImage));
            summary.put("raw_bytes_per_image", raw);
            summary.put("cache_over_raw", BenchOutput.round(perImage / raw));
            summary.put("load_images_per_s", BenchOutput.round(cached / ((Number) load.get("load_s")).doubleValue()));
            summary.put("load_s", load.get("load_s"));
            summary.put("records_s", load.get("records_s"));
            summary.put("steps", load.get("steps"));
            summary.put("step_ms", load.get("step_ms"));
            summary.put("step_ms_p90", load.get("step_ms_p90"));
            summary.put("first_step_ms", load.get("first_step_ms"));
            summary.put("val_images", load.get("val_images"));
            summary.put("val_seconds", load.get("val_seconds"));
            summary.put("stores", load.get("stores"));
            summary.put("generate_s", BenchOutput.round(genSeconds));
            summary.put("data_reused", reused);
            boolean pass = images >= n && peakMb <= DRIVER_HEAP_LIMIT_MB && perImage / raw <= 1.1;
            summary.put("pass", pass);
            summary.put("run_dir", run.toString());
            BenchOutput.emit(summary);
            if (!pass) {
                System.exit(1);
            }
        }
    }

    /** The load in a child JVM with a 1 GB heap, as a driver of the cluster; returns what it measured. */
    private static Map<String, Object> runDriver(LocalCluster cluster, Path table, Path run, long seed, int size)
            throws IOException, InterruptedException {
        Path out = run.resolve("load.json");
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.add("-Xlog:gc*:file=" + run.resolve("driver-gc.log"));
        cmd.addAll(LocalCluster.ADD_OPENS);
        cmd.add("-Dai.djl.offline=true");
        cluster.driverConf("metalr-bench-scale").forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Driver.class.getName());
        cmd.addAll(List.of(table.toString(), out.toString(), String.valueOf(seed), String.valueOf(size)));
        Path log = run.resolve("driver.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int code = p.waitFor();
        if (code != 0 || !Files.isRegularFile(out)) {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.err::println);
            cluster.printLogTails(System.err, 30);
            throw new IllegalStateException("the driver JVM exited with " + code + " (log: " + log + ")");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = JSON.readValue(out.toFile(), Map.class);
        return m;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: ScaleBenchmark [--images N] [--size PX] [--seed S] [--dir D]"
                        + " [--executor-memory 3g] [--worker-memory 7g]; got " + args[i]);
            }
            opt.put(args[i].substring(2), args[++i]);
        }
        return opt;
    }

    /**
     * The driver JVM: records, placement and the executors' load ({@link ExecutorData}), timed,
     * then {@value #STEPS} MetaLR steps of small_resnet on the stores (2 shards of batch 32) and one
     * validation pass on the executors, with the heap probed throughout. Spark's settings come as
     * {@code -Dspark.*}. Writes its figures to the file named second.
     */
    public static final class Driver {
        private Driver() {}

        public static void main(String[] args) throws Exception {
            String table = args[0];
            Path out = Paths.get(args[1]);
            long seed = Long.parseLong(args[2]);
            int size = Integer.parseInt(args[3]);
            JobConfig cfg = JobConfig.of(ConfigFactory.parseString(String.join("\n", List.of("device = cpu",
                    "model.name = small_resnet", "strategy = metalr", "train.epochs = 1000", "train.batch_size = 32",
                    // a forward pass keeps a batch's activations until the batch ends: at 224 px the default 256
                    // took 10-12 GB per executor (two were OOM-killed on this 24 GB machine); with 32 an executor
                    // stayed under 4.7 GB resident, its mapped store pages included
                    "train.eval_batch_size = 32",
                    "train.log_every = 0", "train.max_steps = " + STEPS, "train.seed = " + seed, "eval.test = false",
                    "data.format = table", "data.path = \"" + table + "\"", "data.image_size = " + size, "data.channels = 3",
                    "data.split.train = 0.7", "data.split.val = 0.15", "data.split.test = 0.15",
                    "distributed.shards = " + SHARDS))));
            try (HeapProbe probe = HeapProbe.start()) {
                JavaSparkContext sc = SparkSessions.context(cfg);
                List<String> jobs = java.util.Collections.synchronizedList(new ArrayList<>());
                sc.sc().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
                    private final Map<Integer, Long> started = new java.util.concurrent.ConcurrentHashMap<>();

                    @Override
                    public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart e) {
                        started.put(e.jobId(), e.time());
                    }

                    @Override
                    public void onJobEnd(org.apache.spark.scheduler.SparkListenerJobEnd e) {
                        Long t = started.remove(e.jobId());
                        jobs.add("job " + e.jobId() + ": " + (t == null ? "?" : (e.time() - t) + " ms"));
                    }
                });
                Map<String, Object> m = new LinkedHashMap<>();
                ExecutorData data = ExecutorData.load(cfg, sc, SHARDS, System.out::println);
                LoadedShards loaded = data.loaded();
                m.put("records", data.records());
                m.put("images_cached", loaded.images());
                m.put("cache_bytes", loaded.bytes());
                m.put("records_s", BenchOutput.round(data.recordsSeconds()));
                m.put("load_s", BenchOutput.round(data.loadSeconds()));
                List<Map<String, Object>> stores = new ArrayList<>();
                for (StoreHandle h : loaded.handles()) {
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("store", h.key().fileStem());
                    s.put("images", h.count());
                    s.put("bytes", h.bytes());
                    s.put("executor", h.executorId());
                    s.put("sha256", h.sha256().substring(0, 16));
                    stores.add(s);
                }
                m.put("stores", stores);

                RunSetup setup = RunSetup.from(cfg, data.channels(), data.numClasses());
                List<Double> stepSeconds = new ArrayList<>();
                TimedEvaluation engine = new TimedEvaluation(new SparkEngine(cfg, setup, MetaMode.GLOBAL, data.partitions(), sc,
                        System.out::println));
                Trainer.Outcome o;
                try (engine) {
                    o = new FitLoop(cfg, setup, engine, List.of((r, t) -> stepSeconds.add(t.seconds())), null, null,
                            System.out::println).run();
                }
                List<Double> timed = new ArrayList<>(stepSeconds.subList(Math.min(1, stepSeconds.size()), stepSeconds.size()));
                timed.sort(null);
                m.put("steps", o.steps());
                m.put("step_ms", timed.isEmpty() ? null : BenchOutput.round(1000 * timed.get(timed.size() / 2)));
                m.put("step_ms_p90", timed.isEmpty() ? null
                        : BenchOutput.round(1000 * timed.get(Math.min(timed.size() - 1, (int) Math.ceil(0.9 * timed.size()) - 1))));
                m.put("first_step_ms", stepSeconds.isEmpty() ? null : BenchOutput.round(1000 * stepSeconds.get(0)));
                m.put("val_images", o.bestVal().sampleCount());
                m.put("val_seconds", BenchOutput.round(engine.seconds));
                m.put("val_accuracy", BenchOutput.round(o.bestVal().accuracy()));
                m.put("driver_peak_heap_mb", probe.peakBytes() / 1048576.0);
                sc.sc().listenerBus().waitUntilEmpty();
                m.put("jobs", new ArrayList<>(jobs));
                m.put("driver_gc_collections", probe.collections());
                m.put("driver_max_heap_mb", Runtime.getRuntime().maxMemory() / 1048576.0);
                Files.writeString(out, JSON.writeValueAsString(m));
                sc.stop();
            }
            System.exit(0);
        }
    }

    /** A {@link StepEngine} whose validation passes are timed (the rest passes through). */
    private static final class TimedEvaluation implements StepEngine {
        private final StepEngine e;
        double seconds;

        TimedEvaluation(StepEngine e) {
            this.e = e;
        }

        @Override
        public ClassificationMetrics evaluate(EvalSplit split) {
            long t0 = System.nanoTime();
            try {
                return e.evaluate(split);
            } finally {
                seconds += (System.nanoTime() - t0) / 1e9;
            }
        }

        @Override
        public int stepsPerEpoch() {
            return e.stepsPerEpoch();
        }

        @Override
        public int imagesPerStep() {
            return e.imagesPerStep();
        }

        @Override
        public int shards() {
            return e.shards();
        }

        @Override
        public StepSums compute(StepRequest r) {
            return e.compute(r);
        }

        @Override
        public void commit(double[] lr) {
            e.commit(lr);
        }

        @Override
        public void abandon() {
            e.abandon();
        }

        @Override
        public ModelSnapshot snapshot() {
            return e.snapshot();
        }

        @Override
        public void load(ModelSnapshot s) {
            e.load(s);
        }

        @Override
        public LinkedHashMap<String, float[]> weights() {
            return e.weights();
        }

        @Override
        public void loadWeights(Map<String, float[]> tensors) {
            e.loadWeights(tensors);
        }

        @Override
        public void close() {
            e.close();
        }
    }
}
