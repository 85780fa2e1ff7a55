package io.metalr.eval;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Keeps track of the best validation result across epochs for one metric, so the trainer knows when to save the
 * checkpoint it will finally test.
 *
 * <p>Only a strict improvement counts, so on a tie the earlier epoch (the cheaper, less fitted model) stays best.
 * A NaN value (e.g. an undefined AUC) never becomes best. Offer epochs in training order. Not thread-safe.
 */
public final class ModelSelection {

    /** The metric to select on and which direction is better. */
    public enum Metric {
        ACCURACY("accuracy", true),
        AUC("auc", true),
        LOSS("loss", false);

        private final String key;
        private final boolean higherIsBetter;

        Metric(String key, boolean higherIsBetter) {
            this.key = key;
            this.higherIsBetter = higherIsBetter;
        }

        /** The name used in configuration and in {@link ClassificationMetrics#toMap()}. */
        public String key() {
            return key;
        }

        public boolean higherIsBetter() {
            return higherIsBetter;
        }

        /** The metric's value in {@code metrics}. */
        public double of(ClassificationMetrics metrics) {
            return switch (this) {
                case ACCURACY -> metrics.accuracy();
                case AUC -> metrics.macroAuc();
                case LOSS -> metrics.loss();
            };
        }

        /**
         * Parses a configured metric name, ignoring case and surrounding blanks.
         *
         * @throws IllegalArgumentException for an unknown name, listing the allowed ones
         */
        public static Metric parse(String name) {
            String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
            for (Metric metric : values()) {
                if (metric.key.equals(wanted)) {
                    return metric;
                }
            }
            String allowed = Arrays.stream(values()).map(Metric::key).collect(Collectors.joining(", "));
            throw new IllegalArgumentException("unknown selection metric '" + name + "'; allowed: " + allowed);
        }
    }

    private final Metric metric;
    private boolean hasBest;
    private int bestEpoch;
    private long bestStep;
    private double bestValue = Double.NaN;
    private ClassificationMetrics bestMetrics;

    public ModelSelection(Metric metric) {
        if (metric == null) {
            throw new IllegalArgumentException("metric must not be null");
        }
        this.metric = metric;
    }

    /** Convenience for a metric name from configuration; see {@link Metric#parse}. */
    public static ModelSelection forMetric(String name) {
        return new ModelSelection(Metric.parse(name));
    }

    /**
     * Considers one epoch's validation metrics.
     *
     * @return true if this epoch is the new best (strictly better than every earlier one)
     */
    public boolean offer(int epoch, long step, ClassificationMetrics val) {
        if (val == null) {
            throw new IllegalArgumentException("epoch " + epoch + ": validation metrics must not be null");
        }
        double value = metric.of(val);
        if (Double.isNaN(value) || (hasBest && !isBetter(value, bestValue))) {
            return false;
        }
        hasBest = true;
        bestEpoch = epoch;
        bestStep = step;
        bestValue = value;
        bestMetrics = val;
        return true;
    }

    private boolean isBetter(double candidate, double current) {
        return metric.higherIsBetter ? candidate > current : candidate < current;
    }

    public Metric metric() {
        return metric;
    }

    /** Whether any epoch has been accepted yet. */
    public boolean hasBest() {
        return hasBest;
    }

    /**
     * The best epoch so far.
     *
     * @throws IllegalStateException before the first accepted offer
     */
    public int bestEpoch() {
        requireBest();
        return bestEpoch;
    }

    /**
     * The global step of the best epoch.
     *
     * @throws IllegalStateException before the first accepted offer
     */
    public long bestStep() {
        requireBest();
        return bestStep;
    }

    /**
     * The metric's value at the best epoch.
     *
     * @throws IllegalStateException before the first accepted offer
     */
    public double bestValue() {
        requireBest();
        return bestValue;
    }

    /**
     * The best epoch's full validation metrics.
     *
     * @throws IllegalStateException before the first accepted offer
     */
    public ClassificationMetrics bestMetrics() {
        requireBest();
        return bestMetrics;
    }

    private void requireBest() {
        if (!hasBest) {
            throw new IllegalStateException("no epoch offered yet for metric " + metric.key);
        }
    }

    @Override
    public String toString() {
        return hasBest
                ? String.format(Locale.ROOT, "best %s %.4f at epoch %d (step %d)", metric.key, bestValue, bestEpoch,
                        bestStep)
                : "no best " + metric.key + " yet";
    }
}
