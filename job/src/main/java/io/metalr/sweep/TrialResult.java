package io.metalr.sweep;

import java.io.Serializable;

/**
 * One row of the results table: what a trial was, and what it gave or why it failed. Metrics are
 * those of the model selected on the validation split (val_*) and of that model on the test split
 * (test_*); a failed trial has no metrics (null). AUC is NaN where it is undefined.
 *
 * @param status {@link #OK} or {@link #FAILED}
 * @param strategy the trial's strategy, as its config says ("" when the config could not be read)
 * @param seed the trial's train.seed (null when its config could not be read)
 * @param bestEpoch the selected epoch, from 0 as in a run's summary.json
 * @param finalLr the group learning rates at the end, space-separated
 * @param trainSeconds the training loop's time; startedAtMs/endedAtMs the whole trial (with data)
 * @param executor the Spark executor and task attempt that ran it
 */
public record TrialResult(int trial, int config, String variant, String strategy, String params, Long seed, Integer fold,
        String status, String error,
        Double valAccuracy, Double valAuc, Double valLoss, Double testAccuracy, Double testAuc, Double testLoss,
        Integer bestEpoch, Long steps, String finalLr, Double trainSeconds, long startedAtMs, long endedAtMs, String executor)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String OK = "ok";
    public static final String FAILED = "failed";

    public boolean ok() {
        return OK.equals(status);
    }

    /** What the comparison groups by: the variant, or the strategy when the sweep has no variants. */
    public String arm() {
        return variant.isEmpty() ? strategy : variant;
    }
}
