package io.metalr.train.fit;

import io.metalr.spark.RunFingerprint;

/**
 * Where and when a {@link FitLoop} checkpoints: into {@code dir} (any Hadoop path) every
 * {@code every} steps (0: only at epoch ends) and at the end of every epoch, keeping the newest
 * {@code keep}; with {@code resume} the run continues from the newest complete checkpoint there,
 * which must carry {@code fingerprint}.
 */
public record CheckpointPolicy(String dir, int every, int keep, boolean resume, RunFingerprint fingerprint) {}
