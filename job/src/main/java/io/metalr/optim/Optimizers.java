package io.metalr.optim;

import ai.djl.ndarray.NDManager;

/** Builds the configured optimizer: {@code adam} (L2, the reference's), {@code adamw}, {@code sgd}. */
public final class Optimizers {

    /** The optimizer's settings, as in {@code train.optimizer} of the config. */
    public record Settings(
            String name, double weightDecay, double beta1, double beta2, double eps, double momentum, boolean nesterov)
            implements java.io.Serializable {

        public static Settings adam(double weightDecay) {
            return new Settings("adam", weightDecay, 0.9, 0.999, 1e-8, 0.9, false);
        }
    }

    private Optimizers() {}

    public static Optimizer create(Settings s, NDManager parent) {
        return switch (s.name()) {
            case "adam" -> new Adam(parent, s.beta1(), s.beta2(), s.eps(), s.weightDecay(), false);
            case "adamw" -> new Adam(parent, s.beta1(), s.beta2(), s.eps(), s.weightDecay(), true);
            case "sgd" -> new Sgd(parent, s.momentum(), s.weightDecay(), s.nesterov());
            default -> throw new IllegalArgumentException(
                    "unknown train.optimizer '" + s.name() + "'; known: adam, adamw, sgd");
        };
    }
}
