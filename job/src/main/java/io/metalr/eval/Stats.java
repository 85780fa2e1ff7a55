package io.metalr.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Mean and sample standard deviation (divisor n - 1, 0 for one value) of a metric over the seeds
 * or folds of a configuration. Missing (null) and undefined (NaN) values are left out; {@code n}
 * says how many were used.
 */
public record Stats(int n, double mean, double sd) {

    public static Stats of(List<Double> values) {
        double sum = 0;
        int n = 0;
        for (Double v : values) {
            if (v != null && !v.isNaN()) {
                sum += v;
                n++;
            }
        }
        if (n == 0) {
            return new Stats(0, Double.NaN, Double.NaN);
        }
        double mean = sum / n;
        double squares = 0;
        for (Double v : values) {
            if (v != null && !v.isNaN()) {
                squares += (v - mean) * (v - mean);
            }
        }
        return new Stats(n, mean, n == 1 ? 0.0 : Math.sqrt(squares / (n - 1)));
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean", mean);
        m.put("sd", sd);
        m.put("n", n);
        return m;
    }

    /** "0.842 ± 0.013", or "-" when there is no value. */
    @Override
    public String toString() {
        return n == 0 ? "-" : String.format(Locale.ROOT, "%.3f ± %.3f", mean, sd);
    }
}
