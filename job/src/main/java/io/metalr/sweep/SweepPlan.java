package io.metalr.sweep;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Expands a {@link SweepSpec} into trials: every variant (or the base config alone) crossed with
 * every grid point (of the variant's own grid when it has one), and in random mode {@code sweep.trials} draws of the random keys for each of
 * those; each configuration then runs once per seed and, with {@code data.folds = k}, once per fold.
 * Random draws come from one generator seeded by {@code sweep.seed}, taken in this order, so the
 * same sweep block always gives the same trials.
 */
public final class SweepPlan {

    private SweepPlan() {}

    /** The trials, numbered from 0, configuration by configuration; {@code folds} is data.folds (0 = none). */
    public static List<Trial> trials(SweepSpec spec, int folds) {
        List<Trial> out = new ArrayList<>();
        int config = 0;
        Random random = new Random(spec.seed());
        Map<String, Map<String, ConfigValue>> variants = new LinkedHashMap<>(spec.variants());
        if (variants.isEmpty()) {
            variants.put("", Map.of());
        }
        List<LinkedHashMap<String, ConfigValue>> shared = gridPoints(spec.grid());
        for (Map.Entry<String, Map<String, ConfigValue>> variant : variants.entrySet()) {
            Map<String, List<ConfigValue>> own = spec.variantGrids().get(variant.getKey());
            List<LinkedHashMap<String, ConfigValue>> points = own == null ? shared : gridPoints(own);
            for (LinkedHashMap<String, ConfigValue> point : points) {
                int draws = spec.mode() == SweepSpec.Mode.RANDOM ? spec.trials() : 1;
                for (int d = 0; d < draws; d++) {
                    LinkedHashMap<String, ConfigValue> params = new LinkedHashMap<>(point);
                    spec.random().forEach((key, dist) -> params.put(key, dist.sample(random)));
                    out.addAll(repeats(spec, folds, out.size(), config++, variant.getKey(), variant.getValue(), params));
                }
            }
        }
        return out;
    }

    /** The cross product of the grid's values, last key varying fastest; one empty point for no grid. */
    static List<LinkedHashMap<String, ConfigValue>> gridPoints(Map<String, List<ConfigValue>> grid) {
        List<LinkedHashMap<String, ConfigValue>> points = new ArrayList<>();
        points.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<ConfigValue>> axis : grid.entrySet()) {
            List<LinkedHashMap<String, ConfigValue>> next = new ArrayList<>();
            for (LinkedHashMap<String, ConfigValue> p : points) {
                for (ConfigValue v : axis.getValue()) {
                    LinkedHashMap<String, ConfigValue> q = new LinkedHashMap<>(p);
                    q.put(axis.getKey(), v);
                    next.add(q);
                }
            }
            points = next;
        }
        return points;
    }

    private static List<Trial> repeats(SweepSpec spec, int folds, int firstId, int config, String variant,
            Map<String, ConfigValue> variantOverrides, Map<String, ConfigValue> params) {
        List<String> overrides = new ArrayList<>();
        variantOverrides.forEach((k, v) -> overrides.add(k + "=" + hocon(v)));
        params.forEach((k, v) -> overrides.add(k + "=" + hocon(v)));
        List<String> shown = new ArrayList<>();
        params.forEach((k, v) -> shown.add(k + "=" + display(v)));
        String described = String.join(", ", shown);
        List<Long> seeds = spec.seeds().isEmpty() ? java.util.Collections.singletonList(null) : spec.seeds();
        List<Trial> out = new ArrayList<>();
        for (Long seed : seeds) {
            List<String> withSeed = new ArrayList<>(overrides);
            if (seed != null) {
                SweepSpec.SEED_KEYS.forEach(k -> withSeed.add(k + "=" + seed));
            }
            if (folds < 2) {
                out.add(new Trial(firstId + out.size(), config, variant, described, seed, null, withSeed));
            } else {
                for (int f = 0; f < folds; f++) {
                    out.add(new Trial(firstId + out.size(), config, variant, described, seed, f, withSeed));
                }
            }
        }
        return out;
    }

    /** A value as HOCON that {@code JobConfig.withOverrides} reads back unchanged. */
    private static String hocon(ConfigValue v) {
        return v.render(ConfigRenderOptions.concise());
    }

    /** A value for people: strings without their quotes. */
    private static String display(ConfigValue v) {
        return v.valueType() == ConfigValueType.STRING ? (String) v.unwrapped() : hocon(v);
    }
}
