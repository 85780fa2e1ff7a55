package io.metalr.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * SGD with momentum as PyTorch's {@code torch.optim.SGD} (no dampening):
 * {@code g' = g + wd theta; buf = g'} on the first step, else {@code buf = mu buf + g'};
 * {@code u = buf}, or {@code g' + mu buf} with Nesterov.
 */
public final class Sgd extends Optimizer {

    private final double momentum;
    private final double weightDecay;
    private final boolean nesterov;

    public Sgd(NDManager parent, double momentum, double weightDecay, boolean nesterov) {
        super(parent);
        if (!(momentum >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("SGD needs momentum >= 0 and weight decay >= 0");
        }
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    public NDArray direction(String name, NDArray theta, NDArray grad, NDManager scratch) {
        NDArray g = weightDecay != 0 ? theta.mul(weightDecay).addi(grad) : grad.duplicate();
        if (momentum == 0) {
            return g;
        }
        NDArray buf = state(name, "momentum_buffer", theta, scratch);
        if (step() == 1) {
            buf.addi(g);
        } else {
            buf.muli(momentum).addi(g);
        }
        return nesterov ? g.addi(buf.mul(momentum)) : buf.duplicate();
    }
}
