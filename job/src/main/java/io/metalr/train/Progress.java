package io.metalr.train;

import java.util.Arrays;
import java.util.Locale;

/** The console's progress lines. */
final class Progress {

    private Progress() {}

    static String line(int epoch, int epochs, long step, long totalSteps, StepReport r, long startedNanos, int batchSize) {
        double elapsed = (System.nanoTime() - startedNanos) / 1e9;
        double perStep = elapsed / step;
        double eta = perStep * (totalSteps - step);
        return String.format(Locale.ROOT, "epoch %d/%d step %d/%d loss %.4f  %.0f img/s  eta %s  lr %s",
                epoch + 1, epochs, step, totalSteps, r.trainLoss(), batchSize / perStep, duration(eta), rates(r.lrAfter()));
    }

    static String epochLine(Trainer.EpochResult e, int epochs) {
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
