package io.metalr.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code sweep} block of a config (documented in {@code conf/reference.conf}), parsed and
 * checked, and the base config it applies to (the same config without the block). Every swept key
 * must be a key of {@code reference.conf}: a typo fails here, naming it, before any trial runs.
 * Values are checked per trial, where a bad one becomes that trial's error.
 *
 * @param base the user's config without {@code sweep}
 * <p>HOCON objects do not keep their order, so keys are ordered as written by line, then by name.
 *
 * @param variants name to overrides (canonical dotted key to value), in config order
 * @param variantGrids name to the variant's own grid, for the variants that carry one ({@code grid { ... }},
 *     {@code grid = {}} for none): it replaces {@code grid} for that variant
 * @param grid key to its values, in config order
 * @param random key to its distribution, in config order
 * @param seeds each configuration runs once per seed; empty = once, with the config's own seeds
 */
public record SweepSpec(Config base, Mode mode, int trials, long seed, List<Long> seeds, int parallelism, String out, boolean trialRuns,
        LinkedHashMap<String, LinkedHashMap<String, ConfigValue>> variants,
        LinkedHashMap<String, LinkedHashMap<String, List<ConfigValue>>> variantGrids,
        LinkedHashMap<String, List<ConfigValue>> grid,
        LinkedHashMap<String, Distribution> random) {

    /** How configurations are chosen. */
    public enum Mode { GRID, RANDOM }

    /** Keys the seeds set, so a configuration must not set them when sweep.seeds is given. */
    public static final List<String> SEED_KEYS = List.of("train.seed", "model.init_seed");

    /** The key inside a variant that gives the variant its own grid (no configuration key is named so). */
    public static final String VARIANT_GRID = "grid";

    private static final Set<String> SWEEP_KEYS =
            Set.of("mode", "trials", "seed", "seeds", "parallelism", "variants", "grid", "random", "out", "trial_runs");

    /** Splits a user config into its sweep block and the base config, and checks the block. */
    public static SweepSpec from(Config user) {
        Config reference = ConfigFactory.defaultReference(SweepSpec.class.getClassLoader());
        Config block = user.hasPath("sweep") ? section(user) : ConfigFactory.empty();
        for (String key : block.root().keySet()) {
            if (!SWEEP_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown configuration key sweep." + key
                        + " (every key is listed with its default in conf/reference.conf)");
            }
        }
        Config s = block.withFallback(reference.getConfig("sweep"));
        Mode mode = mode(s);
        int trials = (int) number(s, "trials");
        int parallelism = (int) number(s, "parallelism");
        if (trials < 0 || parallelism < 0) {
            throw new IllegalArgumentException("sweep.trials and sweep.parallelism must be >= 0, got " + trials + " and " + parallelism);
        }
        long seed = number(s, "seed");
        List<Long> seeds;
        String out;
        boolean trialRuns;
        try {
            seeds = List.copyOf(s.getLongList("seeds"));
            out = s.getString("out").trim();
            trialRuns = s.getBoolean("trial_runs");
        } catch (ConfigException e) {
            throw new IllegalArgumentException("invalid configuration: sweep." + e.getMessage(), e);
        }
        LinkedHashMap<String, LinkedHashMap<String, List<ConfigValue>>> variantGrids = new LinkedHashMap<>();
        LinkedHashMap<String, LinkedHashMap<String, ConfigValue>> variants = variants(block(s, "variants"), variantGrids);
        LinkedHashMap<String, List<ConfigValue>> grid = new LinkedHashMap<>();
        collectGrid(block(s, "grid"), "", "sweep.grid", grid);
        LinkedHashMap<String, Distribution> random = new LinkedHashMap<>();
        collectRandom(block(s, "random"), "", random);

        if (mode == Mode.GRID && !random.isEmpty()) {
            throw new IllegalArgumentException("sweep.random is set but sweep.mode = grid; set sweep.mode = random to sample it");
        }
        if (mode == Mode.RANDOM && (random.isEmpty() || trials < 1)) {
            throw new IllegalArgumentException("sweep.mode = random needs sweep.random (key = { distribution }) and sweep.trials >= 1");
        }
        SweepSpec spec = new SweepSpec(user.withoutPath("sweep"), mode, trials, seed, seeds, parallelism, out, trialRuns, variants,
                variantGrids, grid, random);
        spec.checkKeys(reference);
        return spec;
    }

    /** Every swept key against reference.conf, and no key swept in two places. */
    private void checkKeys(Config reference) {
        Map<String, String> where = new LinkedHashMap<>();
        for (String key : grid.keySet()) {
            checkKey(reference, key, "sweep.grid");
            where.put(key, "sweep.grid");
        }
        for (String key : random.keySet()) {
            checkKey(reference, key, "sweep.random");
            String before = where.put(key, "sweep.random");
            if (before != null) {
                throw new IllegalArgumentException(key + " is swept in both " + before + " and sweep.random");
            }
        }
        variants.forEach((name, overrides) -> {
            String in = "sweep.variants." + name;
            // a variant with its own grid is swept over that grid instead of sweep.grid
            Map<String, String> swept = new LinkedHashMap<>(where);
            if (variantGrids.containsKey(name)) {
                swept.keySet().removeAll(grid.keySet());
                for (String key : variantGrids.get(name).keySet()) {
                    checkKey(reference, key, in + "." + VARIANT_GRID);
                    String before = swept.put(key, in + "." + VARIANT_GRID);
                    if (before != null) {
                        throw new IllegalArgumentException(key + " is swept in both " + before + " and " + in + "." + VARIANT_GRID);
                    }
                }
            }
            for (String key : overrides.keySet()) {
                checkKey(reference, key, in);
                if (swept.containsKey(key)) {
                    throw new IllegalArgumentException(key + " is set by " + in + " and swept in " + swept.get(key));
                }
            }
        });
    }

    private void checkKey(Config reference, String key, String in) {
        if (key.equals("sweep") || key.startsWith("sweep.")) {
            throw new IllegalArgumentException(in + ": " + key + " cannot be swept");
        }
        if (!reference.hasPathOrNull(key)) {
            throw new IllegalArgumentException(in + ": unknown configuration key " + key
                    + " (every key is listed with its default in conf/reference.conf)");
        }
        if (reference.getValue(key).valueType() == ConfigValueType.OBJECT) {
            throw new IllegalArgumentException(in + ": " + key + " is a section; sweep its keys one by one");
        }
        if (key.equals("data.folds")) {
            throw new IllegalArgumentException(in + ": data.folds cannot be swept; set it in the config (every trial then runs each fold)");
        }
        if (!seeds.isEmpty() && SEED_KEYS.contains(key)) {
            throw new IllegalArgumentException(in + ": " + key + " is set by sweep.seeds; list the seeds there");
        }
    }

    private static Config section(Config user) {
        try {
            return user.getConfig("sweep");
        } catch (ConfigException.WrongType e) {
            throw new IllegalArgumentException("sweep must be a block { ... }", e);
        }
    }

    private static Mode mode(Config s) {
        String v = s.getString("mode").trim();
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "grid" -> Mode.GRID;
            case "random" -> Mode.RANDOM;
            default -> throw new IllegalArgumentException("sweep.mode = '" + v + "' is not one of grid, random");
        };
    }

    private static ConfigObject block(Config s, String key) {
        try {
            return s.getObject(key);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("sweep." + key + " must be a block { ... }: " + e.getMessage(), e);
        }
    }

    private static long number(Config s, String key) {
        try {
            return s.getLong(key);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("invalid configuration: sweep." + e.getMessage(), e);
        }
    }

    /** Each variant's overrides; the variants with a {@code grid} of their own also fill {@code grids}. */
    private static LinkedHashMap<String, LinkedHashMap<String, ConfigValue>> variants(ConfigObject block,
            Map<String, LinkedHashMap<String, List<ConfigValue>>> grids) {
        LinkedHashMap<String, LinkedHashMap<String, ConfigValue>> out = new LinkedHashMap<>();
        for (String name : sortedByOrigin(block)) {
            ConfigValue v = block.get(name);
            if (v.valueType() != ConfigValueType.OBJECT) {
                throw new IllegalArgumentException("sweep.variants." + name + " must be a block of overrides { key = value, ... }");
            }
            ConfigObject variant = (ConfigObject) v;
            ConfigValue ownGrid = variant.get(VARIANT_GRID);
            if (ownGrid != null) {
                String where = "sweep.variants." + name + "." + VARIANT_GRID;
                if (ownGrid.valueType() != ConfigValueType.OBJECT) {
                    throw new IllegalArgumentException(where + " must be a block { key = [values] } ({} for no grid)");
                }
                LinkedHashMap<String, List<ConfigValue>> grid = new LinkedHashMap<>();
                collectGrid((ConfigObject) ownGrid, "", where, grid);
                grids.put(name, grid);
                variant = variant.withoutKey(VARIANT_GRID);
            }
            LinkedHashMap<String, ConfigValue> overrides = new LinkedHashMap<>();
            flatten(variant, "", overrides);
            out.put(name, overrides);
        }
        return out;
    }

    private static void flatten(ConfigObject block, String prefix, Map<String, ConfigValue> out) {
        for (String k : sortedByOrigin(block)) {
            ConfigValue v = block.get(k);
            String key = join(prefix, k);
            if (v.valueType() == ConfigValueType.OBJECT) {
                flatten((ConfigObject) v, key, out);
            } else {
                out.put(key, v);
            }
        }
    }

    private static void collectGrid(ConfigObject block, String prefix, String where, Map<String, List<ConfigValue>> out) {
        for (String k : sortedByOrigin(block)) {
            ConfigValue v = block.get(k);
            String key = join(prefix, k);
            if (v.valueType() == ConfigValueType.OBJECT) {
                collectGrid((ConfigObject) v, key, where, out);
            } else if (v.valueType() == ConfigValueType.LIST && !((List<?>) v.unwrapped()).isEmpty()) {
                out.put(key, List.copyOf((com.typesafe.config.ConfigList) v));
            } else {
                throw new IllegalArgumentException(where + "." + ConfigUtil.quoteString(key)
                        + " must be a non-empty list of values, e.g. \"" + key + "\" = [a, b]");
            }
        }
    }

    private static void collectRandom(ConfigObject block, String prefix, Map<String, Distribution> out) {
        for (String k : sortedByOrigin(block)) {
            ConfigValue v = block.get(k);
            String key = join(prefix, k);
            if (v.valueType() == ConfigValueType.OBJECT && Distribution.KINDS.containsAll(((ConfigObject) v).keySet())
                    && !((ConfigObject) v).isEmpty()) {
                out.put(key, Distribution.parse("sweep.random." + ConfigUtil.quoteString(key), (ConfigObject) v));
            } else if (v.valueType() == ConfigValueType.OBJECT) {
                collectRandom((ConfigObject) v, key, out);
            } else {
                throw new IllegalArgumentException("sweep.random." + ConfigUtil.quoteString(key)
                        + " must be a distribution: { choice = [...] } | { uniform = [lo, hi] } | { log_uniform = [lo, hi] }"
                        + " | { int_uniform = [lo, hi] }");
            }
        }
    }

    /**
     * A quoted dotted key ("train.lr") and a nested one (train { lr }) name the same setting:
     * reference keys never contain a literal dot.
     */
    private static String join(String prefix, String key) {
        return prefix.isEmpty() ? key : prefix + "." + key;
    }

    /** Keys in the order the file wrote them (HOCON objects are unordered maps). */
    private static List<String> sortedByOrigin(ConfigObject block) {
        List<String> keys = new ArrayList<>(block.keySet());
        keys.sort((a, b) -> {
            int la = block.get(a).origin().lineNumber();
            int lb = block.get(b).origin().lineNumber();
            return la != lb ? Integer.compare(la, lb) : a.compareTo(b);
        });
        return keys;
    }
}
