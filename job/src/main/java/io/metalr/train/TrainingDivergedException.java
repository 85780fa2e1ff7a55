package io.metalr.train;

/** A loss became NaN or infinite; the message names the step, the epoch and the group rates. */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}
