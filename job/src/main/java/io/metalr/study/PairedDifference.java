package io.metalr.study;

import org.apache.commons.math3.distribution.TDistribution;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A paired difference over seeds (arm minus baseline, one value per seed both ran): its mean, sample
 * standard deviation (divisor n - 1) and the two-sided 95% confidence interval of the mean,
 * mean ± t_{0.975, n-1} · sd / √n (Student t with n - 1 degrees of freedom). With fewer than two
 * pairs the interval is undefined (NaN).
 *
 * @param seeds the seeds of the pairs, in order
 * @param diffs the per-seed differences, in the seeds' order
 * @param t the quantile t_{0.975, n-1}
 * @param halfWidth t · sd / √n
 */
public record PairedDifference(List<Long> seeds, double[] diffs, double mean, double sd, double t, double halfWidth) {

    public static final double LEVEL = 0.95;

    public static PairedDifference of(List<Long> seeds, double[] diffs) {
        if (seeds.size() != diffs.length) {
            throw new IllegalArgumentException(seeds.size() + " seeds for " + diffs.length + " differences");
        }
        int n = diffs.length;
        double mean = n == 0 ? Double.NaN : Arrays.stream(diffs).sum() / n;
        double squares = 0;
        for (double d : diffs) {
            squares += (d - mean) * (d - mean);
        }
        double sd = n < 2 ? Double.NaN : Math.sqrt(squares / (n - 1));
        double t = n < 2 ? Double.NaN : tQuantile((1 + LEVEL) / 2, n - 1);
        return new PairedDifference(List.copyOf(seeds), diffs.clone(), mean, sd, t, t * sd / Math.sqrt(n));
    }

    /** The {@code p} quantile of Student's t with {@code dof} degrees of freedom. */
    static double tQuantile(double p, int dof) {
        // no random generator: the distribution is only asked for quantiles
        return new TDistribution(null, dof).inverseCumulativeProbability(p);
    }

    public int n() {
        return diffs.length;
    }

    public double low() {
        return mean - halfWidth;
    }

    public double high() {
        return mean + halfWidth;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seeds", seeds);
        m.put("diffs", Arrays.stream(diffs).boxed().toList());
        m.put("n", n());
        m.put("mean", finite(mean));
        m.put("sd", finite(sd));
        m.put("t_975", finite(t));
        m.put("ci95_low", finite(low()));
        m.put("ci95_high", finite(high()));
        return m;
    }

    /** In points (×100): "+1.4 [−0.8, +3.6]", or "-" without pairs. */
    public String points() {
        if (n() == 0) {
            return "-";
        }
        String m = String.format(Locale.ROOT, "%+.1f", 100 * mean);
        return n() < 2 ? m : m + String.format(Locale.ROOT, " [%+.1f, %+.1f]", 100 * low(), 100 * high());
    }

    /** JSON has no NaN: undefined is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PairedDifference p && seeds.equals(p.seeds) && Arrays.equals(diffs, p.diffs);
    }

    @Override
    public int hashCode() {
        return 31 * seeds.hashCode() + Arrays.hashCode(diffs);
    }
}
