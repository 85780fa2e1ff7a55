package io.metalr.data;

import java.util.Locale;

/**
 * {@code meta.source = holdout}: a slice of the training set that only meta batches come from, and
 * the rest, that only gradient batches come from. Cut by {@link Splits#assign} (stratified by class,
 * grouped by patient: no patient on both sides), a pure function of the set, the fraction and the
 * seed ({@code meta.holdout_seed}, which the sweeps' seeds do not set, so every trial of a sweep on
 * the same data gets the same cut).
 *
 * @param rest the images the gradients use
 * @param holdout the images the meta batches use
 * @param restIndices {@code rest}'s images: their positions in the training set, ascending
 * @param holdoutIndices {@code holdout}'s images: their positions in the training set, ascending
 * @param patients patient groups in {@code holdout} (images without a patient id count one each)
 */
public record MetaHoldout(ImageSet rest, ImageSet holdout, int[] restIndices, int[] holdoutIndices, int patients,
        double fraction, long seed) {

    /**
     * @throws IllegalArgumentException if the fraction is outside (0, 0.5] or either side would be empty
     */
    public static MetaHoldout cut(ImageSet train, double fraction, long seed) {
        if (!(fraction > 0 && fraction <= 0.5)) {
            throw new IllegalArgumentException("meta.holdout_fraction must be in (0, 0.5], got " + fraction);
        }
        int[] labels = new int[train.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = train.label(i);
        }
        // the val part of a two-way train/val assignment is the hold-out; Splits refuses an empty part
        Splits.Assignment a;
        try {
            a = Splits.assign(labels, train.patientIds(), null, new Splits.Ratios(1 - fraction, fraction, 0), seed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("meta.source = holdout: meta.holdout_fraction = " + fraction + " of " + train.name()
                    + "'s " + train.size() + " images cannot be held out whole by patient ('val' is the hold-out, 'train' the rest): "
                    + e.getMessage(), e);
        }
        ImageSet held = train.subset(train.name() + "/meta-holdout", a.val());
        return new MetaHoldout(train.subset(train.name() + "/rest", a.train()), held, a.train(), a.val(),
                Splits.groups(held.size(), held.patientIds()).size(), fraction, seed);
    }

    /** For the run's log: what was carved and what trains. */
    public String describe() {
        return String.format(Locale.ROOT, "meta hold-out: %d images (%d patients) carved from train (meta.holdout_fraction %s,"
                + " meta.holdout_seed %d); the gradients use the other %d", holdout.size(), patients, fraction, seed, rest.size());
    }
}
