package io.metalr.spark;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.metalr.eval.ClassificationMetrics;
import io.metalr.train.Trainer;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run has recorded up to a checkpoint, so that a resumed run reports the whole run, not
 * only the steps after the restart: the metrics log's step lines ({@value #STEPS}, the lines of
 * {@code metrics.jsonl}), the finished epochs with their full validation metrics, the time spent,
 * the skipped steps and the sums of the epoch in progress ({@value #FILE}).
 *
 * @param steps the metrics log's step lines, UTF-8 JSON lines
 * @param epochLossSum the epoch in progress: training loss times images, over its steps so far
 * @param epochSeconds the epoch in progress: wall time so far
 */
public record RunHistory(byte[] steps, List<Trainer.EpochResult> epochs, double elapsedSeconds, long skippedSteps,
        double epochLossSum, long epochCorrect, long epochSeen, double epochSeconds) {

    static final String FILE = "history.json";
    static final String STEPS = "history.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    void write(FileSystem fs, Path dir) throws IOException {
        try (FSDataOutputStream out = fs.create(new Path(dir, STEPS), true)) {
            out.write(steps);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("elapsed_seconds", elapsedSeconds);
        m.put("skipped_steps", skippedSteps);
        m.put("epoch_loss_sum", epochLossSum);
        m.put("epoch_correct", epochCorrect);
        m.put("epoch_seen", epochSeen);
        m.put("epoch_seconds", epochSeconds);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Trainer.EpochResult e : epochs) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("epoch", e.epoch());
            r.put("steps", e.steps());
            r.put("train_loss", e.trainLoss());
            r.put("train_accuracy", e.trainAccuracy());
            r.put("lr", e.lr());
            r.put("seconds", e.seconds());
            ClassificationMetrics v = e.val();
            Map<String, Object> val = new LinkedHashMap<>();
            val.put("n", v.sampleCount());
            val.put("loss", v.loss());
            val.put("auc", v.perClassAuc());
            val.put("confusion", v.confusionMatrix());
            r.put("val", val);
            list.add(r);
        }
        m.put("epochs", list);
        try (FSDataOutputStream out = fs.create(new Path(dir, FILE), true)) {
            JSON.writerWithDefaultPrettyPrinter().writeValue((java.io.OutputStream) out, m);
        }
    }

    /** The history in a checkpoint folder; null when it has none (written before histories were kept). */
    @SuppressWarnings("unchecked")
    static RunHistory read(FileSystem fs, Path dir) throws IOException {
        Path file = new Path(dir, FILE);
        if (!fs.exists(file)) {
            return null;
        }
        Map<String, Object> m;
        try (InputStream in = fs.open(file)) {
            m = JSON.readValue(in, Map.class);
        }
        byte[] steps;
        try (InputStream in = fs.open(new Path(dir, STEPS))) {
            steps = in.readAllBytes();
        }
        List<Trainer.EpochResult> epochs = new ArrayList<>();
        for (Map<String, Object> r : (List<Map<String, Object>>) m.get("epochs")) {
            Map<String, Object> val = (Map<String, Object>) r.get("val");
            List<List<Number>> rows = (List<List<Number>>) val.get("confusion");
            long[][] confusion = new long[rows.size()][];
            for (int i = 0; i < confusion.length; i++) {
                confusion[i] = rows.get(i).stream().mapToLong(Number::longValue).toArray();
            }
            ClassificationMetrics v = ClassificationMetrics.restore(((Number) val.get("n")).longValue(), num(val.get("loss")),
                    nums(val.get("auc")), confusion);
            epochs.add(new Trainer.EpochResult(((Number) r.get("epoch")).intValue(), ((Number) r.get("steps")).longValue(),
                    num(r.get("train_loss")), num(r.get("train_accuracy")), v, nums(r.get("lr")), num(r.get("seconds"))));
        }
        return new RunHistory(steps, epochs, num(m.get("elapsed_seconds")), ((Number) m.get("skipped_steps")).longValue(),
                num(m.get("epoch_loss_sum")), ((Number) m.get("epoch_correct")).longValue(),
                ((Number) m.get("epoch_seen")).longValue(), num(m.get("epoch_seconds")));
    }

    /** A double as Jackson writes it: a number, or "NaN" / "Infinity" as a string. */
    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.parseDouble((String) o);
    }

    private static double[] nums(Object list) {
        return ((List<?>) list).stream().mapToDouble(RunHistory::num).toArray();
    }
}
