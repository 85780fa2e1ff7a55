package io.metalr.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Adam as PyTorch's {@code torch.optim.Adam} (the reference's true update), or AdamW.
 *
 * <pre>
 *   g' = g + wd * theta                      (Adam: L2 added to the gradient)
 *   m  = b1 m + (1 - b1) g'
 *   v  = b2 v + (1 - b2) g'^2
 *   u  = (m / (1 - b1^t)) / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *   u += wd * theta                          (AdamW instead: decoupled decay, no L2 in g')
 *   theta -= lr * u                          (applied by the caller)
 * </pre>
 */
public final class Adam extends Optimizer {

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;

    public Adam(NDManager parent, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(parent);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Adam needs eps > 0 and weight decay >= 0, got " + eps + ", " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    @Override
    public NDArray direction(String name, NDArray theta, NDArray grad, NDManager scratch) {
        NDArray g = grad;
        if (weightDecay != 0 && !decoupled) {
            g = theta.mul(weightDecay).addi(grad);
        }
        NDArray m = state(name, "exp_avg", theta, scratch);
        NDArray v = state(name, "exp_avg_sq", theta, scratch);
        m.muli(beta1).addi(g.mul(1 - beta1));
        v.muli(beta2).addi(g.mul(g).muli(1 - beta2));
        double bc1 = 1 - Math.pow(beta1, step());
        double bc2 = 1 - Math.pow(beta2, step());
        NDArray denom = v.sqrt().divi(Math.sqrt(bc2)).addi(eps);
        NDArray u = m.div(denom).divi(bc1);
        if (weightDecay != 0 && decoupled) {
            u.addi(theta.mul(weightDecay));
        }
        return u;
    }
}
