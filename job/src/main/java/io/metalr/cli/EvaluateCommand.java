package io.metalr.cli;

import io.metalr.report.HadoopFiles;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.ImageSet;
import io.metalr.data.Splits;
import io.metalr.data.read.DataPaths;
import io.metalr.device.Devices;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.model.ModelBundle;
import io.metalr.nn.Weights;
import io.metalr.spark.ExecutorData;
import io.metalr.spark.ExecutorEvaluation;
import io.metalr.spark.SparkSessions;
import io.metalr.train.Evaluator;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Preprocessor;

import org.apache.spark.api.java.JavaSparkContext;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code metalr evaluate --model DIR [--config F] [--set k=v] [--split test] [--output FILE.json]}:
 * the metrics of a trained model on a split of the data a config describes. Without
 * {@code --config}, the training run's own {@code config.conf} (next to the model folder) is used
 * when there is one, so {@code metalr evaluate --model runs/x} re-scores the run's test split.
 *
 * <p>Where it runs: a format whose records the executors load ({@link ExecutorData#supports}) is
 * read and scored on Spark (spark-submit's session, else one on {@code distributed.master}): the
 * executors build stores of the asked split(s) only, in {@code distributed.shards} shards (when it
 * is 0, in Spark's default parallelism), score them in batches of {@code train.eval_batch_size}
 * with the weights broadcast once, and the driver computes the metrics from the scores (the same
 * numbers as in one process). Other formats are read and scored in this process.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a trained model on the data a config describes (the test split by default).")
public final class EvaluateCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--model", required = true, description = "the model directory (or the run directory holding model/)")
    String model;

    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--split", description = "train, val, test or all (default: ${DEFAULT-VALUE})")
    String split = "test";

    @Option(names = "--output", description = "write the metrics as JSON here (any Hadoop path)")
    String output;

    @Override
    public Integer call() throws Exception {
        String which = split.trim().toLowerCase(Locale.ROOT);
        if (!which.matches("train|val|test|all")) {
            throw new IllegalArgumentException("--split must be train, val, test or all, got '" + split + "'");
        }
        ModelBundle bundle = ModelBundle.read(model);
        String runConfig = configOptions.config == null ? runConfig(model) : null;
        if (runConfig != null) {
            System.out.println("config: " + runConfig + " (the training run's)");
        }
        JobConfig cfg = configOptions.load(runConfig);
        Scored scored = ExecutorData.supports(cfg) ? onExecutors(cfg, bundle, which) : inProcess(cfg, bundle, which);
        ClassificationMetrics m = scored.metrics();
        System.out.printf(Locale.ROOT, "%s on %s (%d images): accuracy %.4f, macro AUC %.4f, loss %.4f%n",
                bundle.modelName(), scored.data(), m.sampleCount(), m.accuracy(), m.macroAuc(), m.loss());
        if (output != null && !output.isBlank()) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("model", model);
            report.put("model_name", bundle.modelName());
            report.put("split", which);
            report.put("data", scored.data());
            report.put("classes", bundle.classes());
            report.put("metrics", m.toMap());
            HadoopFiles.write(output, out -> out.write(JSON.writeValueAsBytes(report)));
            System.out.println("wrote " + output);
        }
        return ExitCodes.OK;
    }

    /** The metrics of the evaluated split and its name. */
    private record Scored(ClassificationMetrics metrics, String data) {}

    /**
     * The executors read and score the split's images, the driver receives the scores
     * ({@link ExecutorEvaluation}); the session is spark-submit's, else one on distributed.master.
     */
    private static Scored onExecutors(JobConfig cfg, ModelBundle bundle, String which) {
        JavaSparkContext sc = SparkSessions.context(cfg);
        int shards = cfg.integer("distributed.shards");
        if (shards < 1) {
            shards = sc.defaultParallelism();
        }
        List<Integer> splits = which.equals("all") ? List.of(Splits.TRAIN, Splits.VAL, Splits.TEST)
                : List.of(Splits.NAMES.indexOf(which));
        System.out.println("evaluating on the executors, " + shards + " shards");
        try (ExecutorData data = ExecutorData.load(cfg, sc, shards, splits, System.out::println)) {
            checkMatches(bundle, data.outputs());
            ClassificationMetrics m = ExecutorEvaluation.evaluate(sc, data.partitions(), bundle.network(), bundle.weights(),
                    cfg.string("device"), splits, cfg.integer("train.eval_batch_size"), System.out::println);
            String name = data.name() + "/" + which;
            if (m == null) {
                throw new BadRecordException(name + ": the " + which + " split holds no images");
            }
            return new Scored(m, name);
        }
    }

    /**
     * This process reads the whole data set ({@link DataSets#load}) and scores the split; for
     * {@code all} each split in batches from its first image, as the executors score them.
     */
    private static Scored inProcess(JobConfig cfg, ModelBundle bundle, String which) {
        DataSets.Loaded data = DataSets.load(cfg);
        checkMatches(bundle, data);
        List<ImageSet> sets = switch (which) {
            case "train" -> List.of(data.train());
            case "val" -> List.of(data.val());
            case "test" -> List.of(data.test());
            default -> List.of(data.train(), data.val(), data.test());
        };
        // the splits are X/train, X/val, X/test; all of them X/all, as on the executors
        String name = which.equals("all") ? data.train().name().replaceFirst("/train$", "") + "/all" : sets.get(0).name();
        int n = sets.stream().mapToInt(ImageSet::size).sum();
        if (n == 0) {
            throw new BadRecordException(name + ": the " + which + " split holds no images");
        }
        int[] labels = new int[n];
        float[][] scores = new float[n][];
        try (Weights w = Weights.fromHost(bundle.network(), bundle.weights(), Devices.resolve(cfg.string("device")))) {
            int at = 0;
            for (ImageSet set : sets) {
                float[][] p = Evaluator.probabilities(w, set, cfg.integer("train.eval_batch_size"));
                for (int i = 0; i < p.length; i++, at++) {
                    labels[at] = set.label(i);
                    scores[at] = p[i];
                }
            }
        }
        return new Scored(ClassificationMetrics.compute(labels, scores, bundle.classes().size()), name);
    }

    /** The run's config.conf for a run directory or its model/ folder, or null. */
    static String runConfig(String model) throws IOException {
        String base = model.endsWith("/") ? model.substring(0, model.length() - 1) : model;
        String inRun = DataPaths.resolve(base, "config.conf");
        if (DataPaths.exists(inRun)) {
            return inRun;
        }
        org.apache.hadoop.fs.Path parent = DataPaths.toPath(base).getParent();
        if (parent != null && !parent.toString().isEmpty()) {
            String beside = DataPaths.resolve(parent.toString(), "config.conf");
            if (DataPaths.exists(beside)) {
                return beside;
            }
        }
        return null;
    }

    /** The data must be what the model takes: same size, channels, normalisation and classes. */
    static void checkMatches(ModelBundle bundle, DataSets.Loaded data) {
        Preprocessor m = bundle.preprocessor();
        Preprocessor d = data.preprocessor();
        if (m.channels() != d.channels() || m.height() != d.height() || m.width() != d.width()) {
            throw new IllegalArgumentException("the data's images are " + shape(d) + " (data.channels, data.image_size)"
                    + " but model " + bundle.modelName() + " takes " + shape(m));
        }
        if (!Arrays.equals(m.mean(), d.mean()) || !Arrays.equals(m.std(), d.std())) {
            throw new IllegalArgumentException("the data is normalised with mean " + Arrays.toString(d.mean()) + ", std "
                    + Arrays.toString(d.std()) + " (data.mean, data.std) but the model was trained with mean "
                    + Arrays.toString(m.mean()) + ", std " + Arrays.toString(m.std()));
        }
        if (!data.classNames().equals(bundle.classes())) {
            throw new IllegalArgumentException("the data's classes " + data.classNames() + " are not the model's "
                    + bundle.classes());
        }
    }

    private static String shape(Preprocessor p) {
        return p.channels() + "x" + p.height() + "x" + p.width();
    }
}
