package io.metalr.meta;

/**
 * The MetaLR learning-rate update, as pure arithmetic on per-group sums: no model, no engine.
 *
 * <pre>
 *   lookahead   theta'_j = theta_j - s * alpha_j * d_j          (d = gradient, or the optimizer's step)
 *   hypergrad   h_j = dL_val(theta')/d alpha_j = -s * &lt;grad L_val(theta')_j, d_j&gt;
 *               (cosine: divided by |grad L_val(theta')_j| * |d_j|)
 *   update      alpha_j &lt;- clamp(alpha_j * (1 - eta h_j), lo, hi)   (multiplicative)
 *               alpha_j &lt;- clamp(alpha_j - eta h_j, lo, hi)         (additive)
 * </pre>
 *
 * The formula for h is exact for a one-step lookahead because theta' is linear in alpha. With
 * {@code tied} (strategy {@code metalr_global}, one global LR) the groups share one alpha and h is
 * the sum over groups. Baydin et al.'s hypergradient descent is {@link HypergradientDescent}.
 */
public final class MetaLrRule {

    /** What one meta step found: the hypergradient per group and the new learning rates. */
    public record Result(double[] hypergradient, double[] lrAfter) {}

    private final MetaLrSettings settings;

    public MetaLrRule(MetaLrSettings settings) {
        this.settings = settings;
    }

    public MetaLrSettings settings() {
        return settings;
    }

    /**
     * @param lr the learning rates before the step, one per group
     * @param sums per-group dot products and squared norms from the meta pass
     * @param learnable which groups' rates may change this step (frozen groups and a held head may not)
     * @param tied one shared rate: all groups get the same value, moved by the summed hypergradient
     */
    public Result update(double[] lr, GroupSums sums, boolean[] learnable, boolean tied) {
        int d = lr.length;
        if (sums.groups() != d || learnable.length != d) {
            throw new IllegalArgumentException(
                    "group count mismatch: " + d + " rates, " + sums.groups() + " sums, "
                            + learnable.length + " flags");
        }
        double[] h = new double[d];
        double[] after = lr.clone();
        int s = settings.lookahead().sign;
        if (tied) {
            double dot = 0, vv = 0, dd = 0;
            for (int j = 0; j < d; j++) {
                if (learnable[j]) {
                    dot += sums.dot()[j];
                    vv += sums.valNormSq()[j];
                    dd += sums.dirNormSq()[j];
                }
            }
            double hAll = normalized(-s * dot, vv, dd);
            // the shared rate, read from a group that moves (a held head keeps its own value)
            int from = d - 1;
            for (int j = 0; j < d; j++) {
                if (learnable[j]) {
                    from = j;
                    break;
                }
            }
            double next = step(lr[from], hAll);
            for (int j = 0; j < d; j++) {
                h[j] = hAll;
                if (learnable[j]) {
                    after[j] = next;
                }
            }
            return new Result(h, after);
        }
        for (int j = 0; j < d; j++) {
            h[j] = normalized(-s * sums.dot()[j], sums.valNormSq()[j], sums.dirNormSq()[j]);
            if (learnable[j]) {
                after[j] = step(lr[j], h[j]);
            }
        }
        return new Result(h, after);
    }

    private double normalized(double h, double valNormSq, double dirNormSq) {
        if (settings.normalize() == MetaLrSettings.Normalize.NONE) {
            return h;
        }
        double denom = Math.sqrt(valNormSq) * Math.sqrt(dirNormSq);
        return denom > 0 ? h / denom : 0.0;
    }

    private double step(double alpha, double h) {
        double eta = settings.hyperLr();
        double next =
                settings.update() == MetaLrSettings.LrUpdate.MULTIPLICATIVE
                        ? alpha * (1 - eta * h)
                        : alpha - eta * h;
        return Math.min(settings.lrUpper(), Math.max(settings.lrLower(), next));
    }
}
