package io.metalr.train;

import java.util.Arrays;
import java.util.Locale;

/** The console's progress lines, for the single-process and the distributed trainer alike. */
public final class Progress {

    private Progress() {}

    /**
     * @param step steps done, of {@code totalSteps}
     * @param stepsSinceStart of those, the ones done since {@code startedNanos} (fewer after a resume)
     * @param batchSize images per step (all shards')
     */
    public static String line(int epoch, int epochs, long step, long totalSteps, long stepsSinceStart, StepReport r,
            long startedNanos, int batchSize) {
        double elapsed = (System.nanoTime() - startedNanos) / 1e9;
        double perStep = elapsed / Math.max(1, stepsSinceStart);
        double eta = perStep * (totalSteps - step);
        return String.format(Locale.ROOT, "epoch %d/%d step %d/%d loss %.4f  %.0f img/s  eta %s  lr %s",
                epoch + 1, epochs, step, totalSteps, r.trainLoss(), batchSize / perStep, duration(eta), rates(r.lrAfter()));
    }

    public static String epochLine(Trainer.EpochResult e, int epochs) {
        return String.format(Locale.ROOT, "epoch %d/%d done in %.1fs: train loss %.4f acc %.3f | val acc %.3f auc %.3f loss %.4f",
                e.epoch() + 1, epochs, e.seconds(), e.trainLoss(), e.trainAccuracy(),
                e.val().accuracy(), e.val().macroAuc(), e.val().loss());
    }

    static String rates(double[] lr) {
        return Arrays.stream(lr).mapToObj(v -> String.format(Locale.ROOT, "%.2e", v)).toList().toString();
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
