package io.metalr.meta;

/**
 * How learning rates are learnt. The defaults are the paper's rule: SGD lookahead in the descent
 * direction, multiplicative update, clamp to [1e-6, 1e-2], hyper-LR 0.1.
 *
 * @param lookahead the sign of the lookahead step (the paper descends; the public code ascends)
 * @param update multiplicative {@code a(1 - eta h)} or additive {@code a - eta h}
 * @param direction the lookahead moves along the raw gradient or the optimizer's own step
 * @param normalize none, or cosine: h divided by the norms of both vectors (scale-free)
 * @param hyperLr eta
 * @param lrLower the clamp's lower bound
 * @param lrUpper the clamp's upper bound
 * @param holdHeadEpochs the head's LR stays at its initial value for this many epochs
 * @param every the meta step runs every k optimizer steps
 */
public record MetaLrSettings(
        Lookahead lookahead,
        LrUpdate update,
        Direction direction,
        Normalize normalize,
        double hyperLr,
        double lrLower,
        double lrUpper,
        int holdHeadEpochs,
        int every) implements java.io.Serializable {

    /** theta' = theta - sign * alpha * d. */
    public enum Lookahead {
        DESCENT(1),
        ASCENT(-1);

        public final int sign;

        Lookahead(int sign) {
            this.sign = sign;
        }
    }

    public enum LrUpdate { MULTIPLICATIVE, ADDITIVE }

    public enum Direction { SGD, OPTIMIZER }

    public enum Normalize { NONE, COSINE }

    public MetaLrSettings {
        if (!(hyperLr >= 0) || Double.isInfinite(hyperLr)) {
            throw new IllegalArgumentException("meta.hyper_lr must be a finite number >= 0, got " + hyperLr);
        }
        if (!(lrLower > 0) || !(lrUpper >= lrLower) || Double.isInfinite(lrUpper)) {
            throw new IllegalArgumentException(
                    "meta.lr_lower and meta.lr_upper need 0 < lower <= upper, got " + lrLower + ", " + lrUpper);
        }
        if (holdHeadEpochs < 0) {
            throw new IllegalArgumentException("meta.hold_head_epochs must be >= 0, got " + holdHeadEpochs);
        }
        if (every < 1) {
            throw new IllegalArgumentException("meta.every must be >= 1, got " + every);
        }
    }

    /** The paper's rule with the public code's hyper-parameters. */
    public static MetaLrSettings paper() {
        return new MetaLrSettings(
                Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Direction.SGD, Normalize.NONE,
                0.1, 1e-6, 1e-2, 5, 1);
    }
}
