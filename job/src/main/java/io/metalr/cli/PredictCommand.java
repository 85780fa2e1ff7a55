package io.metalr.cli;

import io.metalr.report.HadoopFiles;

import io.metalr.config.JobConfig;
import io.metalr.data.read.DataPaths;
import io.metalr.data.read.OnBadRecord;
import io.metalr.spark.SparkSessions;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.ml.MetalrClassifier;
import io.metalr.udf.predict.Scorer;
import io.metalr.udf.predict.Scorers;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

/**
 * {@code metalr predict --model DIR --input PATH... --output PATH [--format csv|parquet]}: scores
 * PNG/JPEG files with Spark (the session spark-submit configured, else one on
 * {@code distributed.master}) through {@link MetalrClassifier}, and writes one row per image:
 * {@code path, class, label} and the probabilities (CSV: one {@code prob_<class>} column per class;
 * Parquet: an array {@code probabilities}), sorted by path. An input is a folder (searched
 * recursively), an image file or a glob. The output directory is written under a temporary name
 * and renamed when complete.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Predict the classes of PNG/JPEG images with a trained model, on Spark.")
public final class PredictCommand implements Callable<Integer> {

    /** The files an input folder contributes (Hadoop glob on file names). */
    static final String IMAGE_FILES = "*.{png,PNG,jpg,JPG,jpeg,JPEG}";
    /** How many skipped files are named (at debug level). */
    private static final int LISTED = 20;
    private static final Logger LOG = LoggerFactory.getLogger(PredictCommand.class);

    @Option(names = "--model", required = true, description = "the model directory (or the run directory holding model/)")
    String model;

    @Option(names = "--input", required = true, arity = "1..*",
            description = "image folders (recursive), image files or globs; any Hadoop path")
    List<String> inputs;

    @Option(names = "--output", required = true, description = "output directory (any Hadoop path)")
    String output;

    @Option(names = "--format", description = "csv or parquet (default: ${DEFAULT-VALUE})")
    String format = "csv";

    @Option(names = "--on-bad-record", description = "a corrupt image: fail (naming it) or skip (count it;"
            + " its path is logged at debug level only)"
            + " (default: ${DEFAULT-VALUE})")
    String onBadRecord = "fail";

    @Option(names = "--batch-size", description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batchSize = 64;

    @Option(names = "--overwrite", description = "replace the output of an earlier predict (never a folder it did not write, nor one holding an input)")
    boolean overwrite;

    @Mixin
    ConfigOptions configOptions;

    @Override
    public Integer call() throws Exception {
        String fmt = format.trim().toLowerCase(Locale.ROOT);
        if (!fmt.equals("csv") && !fmt.equals("parquet")) {
            throw new IllegalArgumentException("--format must be csv or parquet, got '" + format + "'");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
        }
        boolean skip = OnBadRecord.parse(onBadRecord) == OnBadRecord.SKIP;
        JobConfig cfg = configOptions.load(null);
        // the session first: its spark.hadoop.* settings (credentials, defaultFS) apply to every path below
        SparkSessions.context(cfg);
        SparkSession spark = SparkSession.active();
        for (String in : inputs) {
            if (!isGlob(in) && !DataPaths.exists(in)) {
                throw new FileNotFoundException("--input " + in + ": no such file or directory");
            }
        }
        Scorer scorer = Scorers.forModel(model); // reads the model now: a broken one fails before any task runs
        checkOutput(output, inputs, overwrite);

        Dataset<Row> files = spark.read().format("binaryFile")
                .option("recursiveFileLookup", "true")
                .option("pathGlobFilter", IMAGE_FILES)
                .load(inputs.toArray(String[]::new))
                .select("path", "content");
        MetalrClassifier classifier = new MetalrClassifier()
                .setModelDir(model)
                .setInputCol("content")
                .setIdCol("path")
                .setBatchSize(batchSize)
                .setMaxImagePixels(cfg.dataLimits().maxImagePixels())
                .setHandleInvalid(skip ? "keep" : "error");
        // scored once, then counted and written from the cache
        Dataset<Row> scored = classifier.transform(files).drop("content").persist(StorageLevel.MEMORY_AND_DISK());
        String tmp = HadoopFiles.tempSibling(output);
        try {
            Column bad = col("prediction").isNull();
            long total;
            List<String> badPaths;
            long badCount;
            try {
                // both counts in one pass over the cache
                Row counts = scored.agg(count(lit(1)), count(when(bad, lit(1)))).first();
                total = counts.getLong(0);
                badCount = counts.getLong(1);
                badPaths = badCount == 0 || !LOG.isDebugEnabled() ? List.of()
                        : scored.filter(bad).select("path").orderBy("path").limit(LISTED).as(Encoders.STRING()).collectAsList();
                if (total == badCount) {
                    throw new BadRecordException("no " + (total == 0 ? "" : "readable ") + "PNG or JPEG image in " + inputs);
                }
                Dataset<Row> out = outputColumns(scored.filter(col("prediction").isNotNull()), scorer.classes(), fmt).orderBy("path");
                if (fmt.equals("csv")) {
                    out.write().option("header", "true").csv(tmp);
                } else {
                    out.write().parquet(tmp);
                }
            } catch (Exception e) {
                throw namingTheRecord(e);
            }
            HadoopFiles.fileSystem(tmp).create(DataPaths.toPath(tmp + "/" + MARKER), false).close();
            HadoopFiles.commitDirectory(tmp, output, overwrite);
            System.out.println("predicted " + (total - badCount) + " images -> " + output + " (" + fmt + ")");
            if (badCount > 0) {
                // an image's path may name the patient: counted here, named only at debug level
                System.out.println("skipped " + badCount + " bad image(s), left out of the output (logged by path at"
                        + " debug level, logger " + PredictCommand.class.getName() + ")");
                badPaths.forEach(p -> LOG.debug("skipped a bad image: {}", p));
            }
        } catch (Exception e) {
            HadoopFiles.deleteQuietly(tmp);
            throw e;
        } finally {
            scored.unpersist();
        }
        return ExitCodes.OK;
    }

    /**
     * Marks a folder as this command's output: only such a folder may be replaced by
     * {@code --overwrite} (readers skip files whose names start with an underscore).
     */
    static final String MARKER = "_METALR_PREDICTIONS";

    /**
     * Refuses an output that holds an input (whatever --overwrite says), and an existing output
     * that is not an earlier prediction output, or is one without --overwrite: --overwrite deletes
     * the folder, which must never be a user's data.
     */
    static void checkOutput(String output, List<String> inputs, boolean overwrite) throws IOException {
        FileSystem fs = HadoopFiles.fileSystem(output);
        Path out = fs.makeQualified(DataPaths.toPath(output));
        for (String in : inputs) {
            Path p = HadoopFiles.fileSystem(in).makeQualified(DataPaths.toPath(in));
            for (; p != null; p = p.getParent()) {
                if (p.equals(out)) {
                    throw new IllegalArgumentException("--output " + output + " contains the input " + in
                            + "; write the predictions outside the images");
                }
            }
        }
        if (!fs.exists(out)) {
            return;
        }
        if (!overwrite) {
            throw new IllegalArgumentException("--output " + output + " exists; use --overwrite to replace it");
        }
        if (!fs.exists(new Path(out, MARKER))) {
            throw new IllegalArgumentException("--output " + output + " exists and is not the output of an earlier"
                    + " predict (it has no " + MARKER + "): --overwrite replaces only those; choose another --output");
        }
    }

    /** path, class, label, then the probabilities: one column per class (CSV) or one array (Parquet). */
    static Dataset<Row> outputColumns(Dataset<Row> scored, List<String> classes, String fmt) {
        List<Column> cols = new ArrayList<>(List.of(col("path"), col("predicted_class").as("class"), col("prediction").as("label")));
        if (fmt.equals("csv")) {
            for (int c = 0; c < classes.size(); c++) {
                cols.add(col("probability").getItem(c).as("prob_" + classes.get(c)));
            }
        } else {
            cols.add(col("probability").as("probabilities"));
        }
        return scored.select(cols.toArray(Column[]::new));
    }

    /**
     * A bad image found by a Spark task reaches the driver wrapped in a SparkException: unwrap it,
     * so the message names the file and the exit code says bad data.
     */
    static Exception namingTheRecord(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadRecordException b) {
                return t == e ? e : new BadRecordException(b.getMessage(), e);
            }
        }
        return e;
    }

    private static boolean isGlob(String path) {
        return path.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }
}
