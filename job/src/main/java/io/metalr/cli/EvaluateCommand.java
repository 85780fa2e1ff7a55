package io.metalr.cli;

import io.metalr.report.HadoopFiles;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.ImageSet;
import io.metalr.data.read.DataPaths;
import io.metalr.device.Devices;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.model.ModelBundle;
import io.metalr.nn.Weights;
import io.metalr.train.Evaluator;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Preprocessor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code metalr evaluate --model DIR [--config F] [--set k=v] [--split test] [--output FILE.json]}:
 * the metrics of a trained model on a split of the data a config describes. Without
 * {@code --config}, the training run's own {@code config.conf} (next to the model folder) is used
 * when there is one, so {@code metalr evaluate --model runs/x} re-scores the run's test split.
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
        DataSets.Loaded data = DataSets.load(cfg);
        checkMatches(bundle, data);
        ImageSet set = switch (which) {
            case "train" -> data.train();
            case "val" -> data.val();
            case "test" -> data.test();
            default -> ImageSet.concat(data.train().name() + "/all", data.train(), data.val(), data.test());
        };
        if (set.size() == 0) {
            throw new BadRecordException(set.name() + ": the " + which + " split holds no images");
        }
        ClassificationMetrics m;
        try (Weights w = Weights.fromHost(bundle.network(), bundle.weights(), Devices.resolve(cfg.string("device")))) {
            m = Evaluator.evaluate(w, set, cfg.integer("train.eval_batch_size"));
        }
        System.out.printf(Locale.ROOT, "%s on %s (%d images): accuracy %.4f, macro AUC %.4f, loss %.4f%n",
                bundle.modelName(), set.name(), m.sampleCount(), m.accuracy(), m.macroAuc(), m.loss());
        if (output != null && !output.isBlank()) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("model", model);
            report.put("model_name", bundle.modelName());
            report.put("split", which);
            report.put("data", set.name());
            report.put("classes", bundle.classes());
            report.put("metrics", m.toMap());
            HadoopFiles.write(output, out -> out.write(JSON.writeValueAsBytes(report)));
            System.out.println("wrote " + output);
        }
        return ExitCodes.OK;
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
