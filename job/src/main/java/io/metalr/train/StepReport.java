package io.metalr.train;

/**
 * What one optimizer step did.
 *
 * @param metaLoss the validation loss at theta', NaN when no meta step ran
 * @param hypergradient per group, empty when no meta step ran
 * @param skipped the step was skipped because a loss was not finite (with {@code train.on_nan = skip})
 */
public record StepReport(
        long step,
        int epoch,
        double trainLoss,
        long correct,
        int count,
        double metaLoss,
        double[] lrBefore,
        double[] lrAfter,
        double[] hypergradient,
        boolean skipped) {}
