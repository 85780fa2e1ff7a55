package io.metalr.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import io.metalr.data.Batch;
import io.metalr.data.BatchOrder;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.MetaLrSettings;
import io.metalr.model.Models;
import io.metalr.nn.Network;
import io.metalr.nn.Weights;
import io.metalr.optim.Adam;
import io.metalr.train.StrategyPlan;
import io.metalr.train.TrainStep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code submit/bench.sh engine}: the cost of a MetaLR step against a plain fine-tuning step,
 * measured side by side in one process (same model, batch, data and optimizer; rounds of plain
 * and MetaLR steps alternate so drift in the machine's speed hits both), and the growth of
 * resident memory over a long MetaLR run. Prints one JSON object per line; the last is the
 * summary.
 */
public final class EngineBenchmark {

    /** One configuration: a model at an input size and batch size, timed for some rounds. */
    record Case(String key, String model, int channels, int size, int batch, int warmup, int rounds, int stepsPerRound) {}

    public static void main(String[] args) throws Exception {
        List<String> argv = Arrays.asList(args);
        boolean quick = argv.contains("--quick");
        // --only small|resnet18|rss runs one part (for profiling); the summary then has only its keys
        String only = argv.contains("--only") ? argv.get(argv.indexOf("--only") + 1) : null;
        List<Case> cases = List.of(
                new Case("small", "small_resnet", 1, 28, 64, 10, quick ? 3 : 8, 10),
                new Case("resnet18", "resnet18", 3, 64, 32, 3, quick ? 2 : 5, 4));
        Map<String, Object> summary = BenchOutput.summary("engine");
        for (Case c : cases) {
            if (only != null && !only.equals(c.key())) {
                continue;
            }
            Map<String, Object> r = timeCase(c);
            BenchOutput.emit(r);
            summary.put("metalr_over_plain_" + c.key(), r.get("metalr_over_plain"));
            summary.put("plain_ms_" + c.key(), r.get("plain_ms"));
            summary.put("metalr_ms_" + c.key(), r.get("metalr_ms"));
            summary.put("faults_per_metalr_step_" + c.key(), r.get("faults_per_metalr_step"));
        }
        if (only == null || only.equals("rss")) {
            Map<String, Object> rss = rssGrowth(quick ? 600 : 2000);
            BenchOutput.emit(rss);
            summary.put("rss_growth", rss.get("rss_growth"));
        }
        BenchOutput.emit(summary);
    }

    private static Map<String, Object> timeCase(Case c) {
        Network net = Models.create(c.model(), c.channels(), 4);
        LayerGroups groups = LayerGroups.auto(net);
        ImageSet data = SyntheticImages.generate("stripes", 4, c.batch() * 8, c.channels(), c.size(), 5);
        StrategyPlan.Options o = new StrategyPlan.Options(1e-3, 0.1, 2, 0.8, 0);
        StrategyPlan plain = StrategyPlan.of("full", groups, o);
        StrategyPlan meta = StrategyPlan.of("metalr", groups, o);
        MetaLrSettings settings = MetaLrSettings.paper();
        List<Double> plainMs = new ArrayList<>();
        List<Double> metaMs = new ArrayList<>();
        // minor page faults of the timed steps: buffers the allocator maps afresh every pass
        long[] faults = new long[2];
        try (Weights wp = Weights.initialize(net, 1, Device.cpu());
                Weights wm = Weights.initialize(net, 1, Device.cpu());
                Adam ap = new Adam(wp.manager(), 0.9, 0.999, 1e-8, 1e-4, false);
                Adam am = new Adam(wm.manager(), 0.9, 0.999, 1e-8, 1e-4, false);
                TrainStep sp = new TrainStep(wp, groups, ap, settings, plain, false);
                TrainStep sm = new TrainStep(wm, groups, am, settings, meta, false)) {
            long[] step = {0};
            runSteps(sp, data, c, step, c.warmup(), null);
            runSteps(sm, data, c, step, c.warmup(), null);
            for (int round = 0; round < c.rounds(); round++) {
                long f0 = BenchOutput.minorFaults();
                runSteps(sp, data, c, step, c.stepsPerRound(), plainMs);
                long f1 = BenchOutput.minorFaults();
                runSteps(sm, data, c, step, c.stepsPerRound(), metaMs);
                faults[0] += f1 - f0;
                faults[1] += BenchOutput.minorFaults() - f1;
            }
        }
        double p = BenchOutput.median(plainMs.stream().mapToDouble(Double::doubleValue).toArray());
        double m = BenchOutput.median(metaMs.stream().mapToDouble(Double::doubleValue).toArray());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("bench", "engine");
        r.put("case", c.key());
        r.put("model", c.model());
        r.put("input", c.channels() + "x" + c.size() + "x" + c.size());
        r.put("batch", c.batch());
        r.put("steps_timed_each", plainMs.size());
        r.put("plain_ms", BenchOutput.round(p));
        r.put("metalr_ms", BenchOutput.round(m));
        r.put("metalr_over_plain", BenchOutput.round(m / p));
        r.put("faults_per_plain_step", faults[0] / plainMs.size());
        r.put("faults_per_metalr_step", faults[1] / metaMs.size());
        return r;
    }

    /** Steps as the trainer runs them: host batch to device in a per-step manager, then the step. */
    private static void runSteps(TrainStep s, ImageSet data, Case c, long[] step, int n, List<Double> ms) {
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                int[] idx = BatchOrder.metaBatch(data.size(), c.batch(), 3, 0, step[0]);
                int[] metaIdx = BatchOrder.metaBatch(data.size(), c.batch(), 4, 0, step[0]);
                Batch b = data.batch(m, idx);
                Batch mb = data.batch(m, metaIdx);
                s.run(b, mb, 99, step[0]++);
            }
            if (ms != null) {
                ms.add((System.nanoTime() - t0) / 1e6);
            }
        }
    }

    /** Resident memory at step 200 and at the last step of a MetaLR run of the small network. */
    private static Map<String, Object> rssGrowth(int steps) throws IOException {
        Case c = new Case("rss", "small_resnet", 1, 28, 64, 0, 0, 0);
        Network net = Models.create(c.model(), 1, 4);
        LayerGroups groups = LayerGroups.auto(net);
        ImageSet data = SyntheticImages.generate("stripes", 4, 512, 1, 28, 5);
        StrategyPlan meta = StrategyPlan.of("metalr", groups, new StrategyPlan.Options(1e-3, 0.1, 2, 0.8, 0));
        long at200 = 0;
        long[] step = {0};
        try (Weights w = Weights.initialize(net, 1, Device.cpu());
                Adam a = new Adam(w.manager(), 0.9, 0.999, 1e-8, 1e-4, false);
                TrainStep s = new TrainStep(w, groups, a, MetaLrSettings.paper(), meta, false)) {
            runSteps(s, data, c, step, 200, null);
            at200 = rssKb();
            runSteps(s, data, c, step, steps - 200, null);
        }
        long atEnd = rssKb();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("bench", "engine");
        r.put("case", "rss");
        r.put("steps", steps);
        r.put("rss_mb_step200", BenchOutput.round(at200 / 1024.0));
        r.put("rss_mb_end", BenchOutput.round(atEnd / 1024.0));
        r.put("rss_growth", BenchOutput.round((atEnd - at200) / (double) at200));
        return r;
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }



}
