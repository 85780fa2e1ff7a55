package io.metalr.meta;

/**
 * Hypergradient descent (Baydin et al. 2018, "Online learning rate adaptation with hypergradient
 * descent") as pure arithmetic: one global rate, moved by the training loss's own hypergradient,
 * no lookahead pass.
 *
 * <pre>
 *   theta_t     = theta_{t-1} - alpha_{t-1} u_{t-1}    (u: the optimizer's direction)
 *   hypergrad   h_t = dL_train(theta_t)/d alpha_{t-1} = -&lt;g_t, u_{t-1}&gt;   (g_t = grad L_train(theta_t))
 *   update      alpha_t = clamp(alpha_{t-1} - beta h_t, lo, hi)             (additive, as the paper)
 * </pre>
 *
 * The first step has no u_{t-1} and keeps alpha_0.
 */
public final class HypergradientDescent {

    /** One step's hypergradient and the new global rate. */
    public record Result(double hypergradient, double lrAfter) {}

    private final double hyperLr;
    private final double lrLower;
    private final double lrUpper;

    /**
     * @param hyperLr beta, the learning rate of the rate ({@code strategy_options.hd_hyper_lr})
     * @param lrLower the rate's lower clamp ({@code meta.lr_lower})
     * @param lrUpper the rate's upper clamp ({@code meta.lr_upper})
     */
    public HypergradientDescent(double hyperLr, double lrLower, double lrUpper) {
        if (!(hyperLr >= 0) || !(lrLower <= lrUpper)) {
            throw new IllegalArgumentException("hypergradient descent needs hd_hyper_lr >= 0 and lr_lower <= lr_upper, got "
                    + hyperLr + ", [" + lrLower + ", " + lrUpper + "]");
        }
        this.hyperLr = hyperLr;
        this.lrLower = lrLower;
        this.lrUpper = lrUpper;
    }

    /**
     * @param alpha the global rate of the previous step, alpha_{t-1}
     * @param gradDotPrevDirection {@code <g_t, u_{t-1}>} summed over every trained parameter
     */
    public Result update(double alpha, double gradDotPrevDirection) {
        double h = -gradDotPrevDirection;
        double next = alpha - hyperLr * h;
        return new Result(h, Math.min(lrUpper, Math.max(lrLower, next)));
    }
}
