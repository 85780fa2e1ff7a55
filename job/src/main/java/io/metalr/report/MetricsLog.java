package io.metalr.report;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import io.metalr.train.StepReport;
import io.metalr.train.Trainer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A run's metrics over time: one row per optimizer step (kept as columns of primitives, so a long
 * run costs a few dozen bytes per step and group) and one record per epoch. Renders
 * {@value RunDirectory#METRICS} and {@value RunDirectory#LR_CSV}.
 *
 * <p>Steps are numbered from 1 (the number of steps done, as the console and the epochs'
 * {@code steps} count them); epochs from 0, as {@code best_epoch} in {@code summary.json}.
 */
public final class MetricsLog implements Consumer<StepReport> {

    // no separator between root values: each record ends with its own newline
    private static final JsonFactory JSON = new JsonFactory()
            .configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false)
            .setRootValueSeparator(null);

    private final List<String> groups;
    private final int fold;
    private final List<Trainer.EpochResult> epochs = new ArrayList<>();
    private long lastNanos = System.nanoTime();

    private int n;
    private long[] step = new long[64];
    private int[] epoch = new int[64];
    private int[] count = new int[64];
    private boolean[] skipped = new boolean[64];
    private double[] trainLoss = new double[64];
    private double[] metaLoss = new double[64];
    private double[] seconds = new double[64];
    /** n x groups, the rates after each step's update (those its weight update used). */
    private double[] lr;
    /** n x groups; NaN where the step made no meta step. */
    private double[] hypergradient;

    /** A log for one run, over its layer groups (in group order). */
    public MetricsLog(List<String> groups) {
        this(groups, -1);
    }

    /** The log of cross-validation fold {@code fold} (0-based): every record carries it. */
    public static MetricsLog ofFold(List<String> groups, int fold) {
        return new MetricsLog(groups, fold);
    }

    private MetricsLog(List<String> groups, int fold) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("a metrics log needs at least one layer group");
        }
        this.groups = List.copyOf(groups);
        this.fold = fold;
        this.lr = new double[64 * groups.size()];
        this.hypergradient = new double[64 * groups.size()];
    }

    /**
     * A step of the single-process trainer; its time is the wall time since the previous step (for
     * the first step of an epoch that includes the previous epoch's validation pass).
     */
    @Override
    public void accept(StepReport r) {
        long now = System.nanoTime();
        record(r, (now - lastNanos) / 1e9);
        lastNanos = now;
    }

    /** A step that took {@code stepSeconds} of wall time. */
    public void record(StepReport r, double stepSeconds) {
        if (r.lrAfter().length != groups.size()) {
            throw new IllegalArgumentException("step " + (r.step() + 1) + " reports " + r.lrAfter().length
                    + " learning rates for " + groups.size() + " layer groups");
        }
        if (n == step.length) {
            grow();
        }
        int k = groups.size();
        step[n] = r.step() + 1;
        epoch[n] = r.epoch();
        count[n] = r.count();
        skipped[n] = r.skipped();
        trainLoss[n] = r.trainLoss();
        metaLoss[n] = r.metaLoss();
        seconds[n] = stepSeconds;
        System.arraycopy(r.lrAfter(), 0, lr, n * k, k);
        if (r.hypergradient().length == k) {
            System.arraycopy(r.hypergradient(), 0, hypergradient, n * k, k);
        } else {
            Arrays.fill(hypergradient, n * k, (n + 1) * k, Double.NaN);
        }
        n++;
    }

    /** The per-epoch records of a finished run ({@link Trainer.Outcome#epochs()}). */
    public void addEpochs(List<Trainer.EpochResult> results) {
        epochs.addAll(results);
    }

    private void grow() {
        int cap = step.length * 2;
        int k = groups.size();
        step = Arrays.copyOf(step, cap);
        epoch = Arrays.copyOf(epoch, cap);
        count = Arrays.copyOf(count, cap);
        skipped = Arrays.copyOf(skipped, cap);
        trainLoss = Arrays.copyOf(trainLoss, cap);
        metaLoss = Arrays.copyOf(metaLoss, cap);
        seconds = Arrays.copyOf(seconds, cap);
        lr = Arrays.copyOf(lr, cap * k);
        hypergradient = Arrays.copyOf(hypergradient, cap * k);
    }

    public List<String> groups() {
        return groups;
    }

    public int stepCount() {
        return n;
    }

    /** The step number of row {@code i} (1-based). */
    public long step(int i) {
        return step[i];
    }

    public double trainLoss(int i) {
        return trainLoss[i];
    }

    public double lr(int i, int group) {
        return lr[i * groups.size() + group];
    }

    public List<Trainer.EpochResult> epochs() {
        return List.copyOf(epochs);
    }

    /** Training images the logged steps consumed (skipped steps excluded). */
    public long images() {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += skipped[i] ? 0 : count[i];
        }
        return sum;
    }

    /** Wall time of the logged steps. */
    public double stepSeconds() {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += seconds[i];
        }
        return sum;
    }

    /** {@link #images()} per second of {@link #stepSeconds()}; NaN before any step. */
    public double imagesPerSecond() {
        double s = stepSeconds();
        return n == 0 || s <= 0 ? Double.NaN : images() / s;
    }

    /** {@value RunDirectory#METRICS}: one JSON object a line, {@code "kind":"step"} or {@code "kind":"epoch"}. */
    public void writeJsonLines(OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            writeJsonLines(g);
        }
    }

    /** Several logs (the folds of a cross-validation) into one {@value RunDirectory#METRICS}. */
    public static void writeJsonLines(OutputStream out, List<MetricsLog> logs) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            for (MetricsLog log : logs) {
                log.writeJsonLines(g);
            }
        }
    }

    /**
     * The step lines only (as {@link #writeJsonLines(OutputStream)} writes them), which
     * {@link #restoreSteps} reads back: a checkpoint keeps them so a resumed run logs the whole run.
     */
    public void writeStepLines(OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            writeJsonLines(g, false);
        }
    }

    /**
     * Records again the steps of {@code jsonLines} (what {@link #writeStepLines} wrote; epoch lines
     * are passed over), after those already here. A non-finite loss comes back as NaN.
     */
    public void restoreSteps(java.io.InputStream jsonLines) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(jsonLines, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                com.fasterxml.jackson.databind.JsonNode j = mapper.readTree(line);
                if (!"step".equals(j.path("kind").asText())) {
                    continue;
                }
                double[] rates = doubles(j.get("lr"));
                double[] h = j.has("hypergradient") ? doubles(j.get("hypergradient")) : new double[0];
                record(new StepReport(j.get("step").asLong() - 1, j.get("epoch").asInt(), orNaN(j.get("train_loss")), 0,
                        j.get("images").asInt(), orNaN(j.get("meta_loss")), rates, rates, h, j.path("skipped").asBoolean(false)),
                        orNaN(j.get("seconds")));
            }
        }
    }

    private static double orNaN(com.fasterxml.jackson.databind.JsonNode v) {
        return v == null || v.isNull() ? Double.NaN : v.asDouble();
    }

    private static double[] doubles(com.fasterxml.jackson.databind.JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = orNaN(a.get(i));
        }
        return out;
    }

    private void writeJsonLines(JsonGenerator g) throws IOException {
        writeJsonLines(g, true);
    }

    private void writeJsonLines(JsonGenerator g, boolean withEpochs) throws IOException {
        int k = groups.size();
        int e = 0;
        for (int i = 0; i <= n; i++) {
            // each epoch's record follows its last step
            while (withEpochs && e < epochs.size() && (i == n || epochs.get(e).steps() < step[i])) {
                writeEpoch(g, epochs.get(e++));
            }
            if (i == n) {
                break;
            }
            g.writeStartObject();
            g.writeStringField("kind", "step");
            writeFold(g);
            g.writeNumberField("step", step[i]);
            g.writeNumberField("epoch", epoch[i]);
            number(g, "train_loss", trainLoss[i]);
            number(g, "meta_loss", metaLoss[i]);
            g.writeFieldName("lr");
            g.writeArray(lr, i * k, k);
            if (!Double.isNaN(hypergradient[i * k])) {
                g.writeFieldName("hypergradient");
                g.writeArray(hypergradient, i * k, k);
            }
            g.writeNumberField("images", count[i]);
            number(g, "seconds", seconds[i]);
            number(g, "images_per_second", seconds[i] > 0 ? count[i] / seconds[i] : Double.NaN);
            if (skipped[i]) {
                g.writeBooleanField("skipped", true);
            }
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    private void writeEpoch(JsonGenerator g, Trainer.EpochResult r) throws IOException {
        g.writeStartObject();
        g.writeStringField("kind", "epoch");
        writeFold(g);
        g.writeNumberField("epoch", r.epoch());
        g.writeNumberField("steps", r.steps());
        number(g, "train_loss", r.trainLoss());
        number(g, "train_accuracy", r.trainAccuracy());
        number(g, "val_accuracy", r.val().accuracy());
        number(g, "val_auc", r.val().macroAuc());
        number(g, "val_loss", r.val().loss());
        g.writeFieldName("lr");
        g.writeArray(r.lr(), 0, r.lr().length);
        number(g, "seconds", r.seconds());
        g.writeEndObject();
        g.writeRaw('\n');
    }

    private void writeFold(JsonGenerator g) throws IOException {
        if (fold >= 0) {
            g.writeNumberField("fold", fold);
        }
    }

    /** JSON has no NaN or infinity: an undefined value is null. */
    private static void number(JsonGenerator g, String name, double v) throws IOException {
        if (Double.isFinite(v)) {
            g.writeNumberField(name, v);
        } else {
            g.writeNullField(name);
        }
    }

    /** {@value RunDirectory#LR_CSV}: {@code step,<group names...>}, one row per step. */
    public void writeLrCsv(OutputStream out) throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        StringBuilder line = new StringBuilder("step");
        for (String name : groups) {
            line.append(',').append(csvField(name));
        }
        w.write(line.append('\n').toString());
        int k = groups.size();
        for (int i = 0; i < n; i++) {
            line.setLength(0);
            line.append(step[i]);
            for (int j = 0; j < k; j++) {
                double v = lr[i * k + j];
                line.append(',').append(Double.isFinite(v) ? Double.toString(v) : "");
            }
            w.write(line.append('\n').toString());
        }
        w.flush();
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }
}
