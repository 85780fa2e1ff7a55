package io.metalr.train;

/** A loss became NaN or infinite; the message names the step, the epoch and the group rates. */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }

    /** The one message for a non-finite loss, wherever the step ran. */
    public static TrainingDivergedException nonFinite(String what, double value, int epoch, long step, double[] lr) {
        return new TrainingDivergedException("non-finite " + what + " (" + value + ") at step " + step + " (epoch " + epoch
                + "); group learning rates " + java.util.Arrays.toString(lr) + "; set train.on_nan = skip to skip such steps");
    }
}
