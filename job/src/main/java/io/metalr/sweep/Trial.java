package io.metalr.sweep;

import java.io.Serializable;
import java.util.List;

/**
 * One training run of a sweep: a configuration (a variant and the values of the swept keys), one
 * seed and, with cross-validation, one fold. Serializable: it travels to the Spark task that runs it.
 *
 * @param id the trial's number, from 0
 * @param config the configuration's number, shared by its seeds and folds
 * @param variant the variant's name, or "" when the sweep has none
 * @param params the swept keys' values as {@code key=value, ...} ("" when nothing but the variant)
 * @param seed the seed sweep.seeds gave, or null for the config's own
 * @param fold the cross-validation fold, or null without folds
 * @param overrides everything the trial sets over the base config, as {@code key=value} (HOCON values)
 */
public record Trial(int id, int config, String variant, String params, Long seed, Integer fold, List<String> overrides)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public Trial {
        overrides = List.copyOf(overrides);
    }

    /** For log lines: "trial 3 (metalr_paper, train.lr=0.001, seed 1)". */
    public String label() {
        StringBuilder b = new StringBuilder("trial ").append(id).append(" (");
        b.append(variant.isEmpty() ? "base" : variant);
        if (!params.isEmpty()) {
            b.append(", ").append(params);
        }
        if (seed != null) {
            b.append(", seed ").append(seed);
        }
        if (fold != null) {
            b.append(", fold ").append(fold);
        }
        return b.append(')').toString();
    }
}
