package io.metalr.bench;

/**
 * The overhead a user pays for running a step on Spark: the Spark step's median time minus the
 * median time of the same step in one process, on the same global batch and the same cores. Wall
 * time minus the executors' compute is not it: that counted host copies, packing and the driver's
 * optimizer update as compute, and so hid part of what Spark costs.
 *
 * @param sparkMs median wall time of a Spark step
 * @param oneProcessMs median wall time of the same step in one process
 */
record Overhead(double sparkMs, double oneProcessMs) {

    Overhead {
        if (!(sparkMs > 0) || !(oneProcessMs > 0)) {
            throw new IllegalArgumentException("step times must be positive: spark " + sparkMs + " ms, one process "
                    + oneProcessMs + " ms");
        }
    }

    /** The overhead of a distributed run's steps over the same step's median in one process. */
    static Overhead of(SparkSteps spark, double oneProcessMs) {
        return new Overhead(spark.ms(), oneProcessMs);
    }

    /** What Spark adds to a step, in ms (negative when the Spark step was the faster). */
    double ms() {
        return sparkMs - oneProcessMs;
    }

    /** The part of a Spark step the user would not pay in one process. */
    double share() {
        return ms() / sparkMs;
    }

    /** {@code a / b}: how much a figure grew from one run to another. */
    static double growth(double a, double b) {
        if (!(b != 0) || !Double.isFinite(a) || !Double.isFinite(b)) {
            throw new IllegalArgumentException("growth of " + a + " over " + b + " is undefined");
        }
        return a / b;
    }

    /**
     * The overhead split into a fixed part per step and a part per MB moved: the least-squares line
     * through (MB of payload per step, overhead ms) of networks of different payload.
     *
     * @param fixedMs the intercept: overhead per step at zero payload
     * @param msPerMb the slope
     */
    record Line(double fixedMs, double msPerMb) {

        static Line fit(double[] mb, double[] overheadMs) {
            if (mb.length != overheadMs.length || mb.length < 2) {
                throw new IllegalArgumentException("a line needs at least two (MB, ms) points; got " + mb.length
                        + " MB and " + overheadMs.length + " ms figures");
            }
            int n = mb.length;
            double mx = 0;
            double my = 0;
            for (int i = 0; i < n; i++) {
                mx += mb[i] / n;
                my += overheadMs[i] / n;
            }
            double sxx = 0;
            double sxy = 0;
            for (int i = 0; i < n; i++) {
                sxx += (mb[i] - mx) * (mb[i] - mx);
                sxy += (mb[i] - mx) * (overheadMs[i] - my);
            }
            if (!(sxx > 0)) {
                throw new IllegalArgumentException("every point moved the same MB (" + mx + "): no slope to fit");
            }
            double slope = sxy / sxx;
            return new Line(my - slope * mx, slope);
        }
    }
}
