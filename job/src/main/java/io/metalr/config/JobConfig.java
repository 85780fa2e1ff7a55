package io.metalr.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;

import io.metalr.data.read.DataLimits;
import io.metalr.meta.MetaLrSettings;
import io.metalr.optim.Optimizers;
import io.metalr.train.StrategyPlan;
import io.metalr.udf.image.Augmenter;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The job's configuration: a user's HOCON merged over {@code reference.conf} (which documents
 * every key and its default), validated once: an unknown key, a wrong type or a bad value is an
 * error naming the key. Typed views of each section are built from here and nowhere else.
 */
public final class JobConfig {

    private static final java.util.Set<String> REFERENCE_SECTIONS = java.util.Set.copyOf(
            ConfigFactory.parseResources(JobConfig.class.getClassLoader(), "reference.conf").root().keySet());

    private final Config config;

    private JobConfig(Config config) {
        this.config = config;
    }

    /** The defaults alone. */
    public static JobConfig defaults() {
        return of(ConfigFactory.empty());
    }

    /** A user config (already parsed, overrides applied) over the defaults. */
    public static JobConfig of(Config user) {
        Config reference = ConfigFactory.defaultReference(JobConfig.class.getClassLoader());
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            if (!reference.hasPathOrNull(e.getKey()) && !sweepEntry(e.getKey())) {
                unknown.add(e.getKey());
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(
                    "unknown configuration key" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                            + " (every key is listed with its default in conf/reference.conf)");
        }
        Config merged = user.withFallback(reference).resolve();
        try {
            merged.checkValid(reference);
        } catch (ConfigException.ValidationFailed e) {
            throw new IllegalArgumentException("invalid configuration: " + e.getMessage(), e);
        }
        checkTypes(merged, reference);
        JobConfig c = new JobConfig(merged);
        c.validate();
        return c;
    }

    /** The sweep's variants, grid and random hold keys of their own, checked by io.metalr.sweep.SweepSpec. */
    private static boolean sweepEntry(String key) {
        return key.startsWith("sweep.variants.") || key.startsWith("sweep.grid.") || key.startsWith("sweep.random.");
    }

    /**
     * Reads every key as the type its default has, so a wrong type fails at load naming the key
     * (Typesafe's own check lets a string stand for a number until it is read).
     */
    private static void checkTypes(Config merged, Config reference) {
        for (Map.Entry<String, ConfigValue> e : reference.entrySet()) {
            String key = e.getKey();
            try {
                switch (e.getValue().valueType()) {
                    case NUMBER -> {
                        Object d = e.getValue().unwrapped();
                        if (d instanceof Integer || d instanceof Long) {
                            merged.getLong(key);
                        } else {
                            merged.getDouble(key);
                        }
                    }
                    case BOOLEAN -> merged.getBoolean(key);
                    case STRING -> merged.getString(key);
                    case LIST -> merged.getList(key);
                    default -> merged.getValue(key);
                }
            } catch (ConfigException ex) {
                throw new IllegalArgumentException("invalid configuration: " + ex.getMessage(), ex);
            }
        }
    }

    /** Parses {@code key=value} overrides (HOCON values) over a base config. */
    public static Config withOverrides(Config base, List<String> overrides) {
        Config out = base;
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set needs key=value, got '" + o + "'");
            }
            Config one = ConfigFactory.parseString(o.substring(0, eq).trim() + " = " + quoteIfNeeded(o.substring(eq + 1).trim()));
            out = one.withFallback(out);
        }
        return out;
    }

    private static String quoteIfNeeded(String v) {
        if (v.isEmpty()) {
            return "\"\"";
        }
        // paths such as hdfs://x/y or /tmp/a.npz are not valid unquoted HOCON
        if (v.startsWith("[") || v.startsWith("{") || v.startsWith("\"") || v.matches("[A-Za-z0-9_.+-]+")) {
            return v;
        }
        return ConfigValueFactory.fromAnyRef(v).render();
    }

    public Config raw() {
        return config;
    }

    /**
     * The job's own settings, the sections of reference.conf. A loaded config also carries the
     * JVM's system properties, which hold the whole command line ({@code sun.java.command}: a
     * predict's input paths, say), the user's name and home: no part of a run's config, not for
     * its outputs, and different between two drivers of one run.
     */
    public Config own() {
        ConfigObject root = config.root();
        for (String key : config.root().keySet()) {
            if (!REFERENCE_SECTIONS.contains(key)) {
                root = root.withoutKey(key);
            }
        }
        return root.toConfig();
    }

    /** The resolved configuration as HOCON, for the run directory: the job's sections only. */
    public String render() {
        return own().root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    }

    public String string(String key) {
        return config.getString(key);
    }

    /** An enumerated word: trimmed and lower-cased, as validation compares it. */
    public String word(String key) {
        return config.getString(key).trim().toLowerCase(Locale.ROOT);
    }

    public int integer(String key) {
        return config.getInt(key);
    }

    public double number(String key) {
        return config.getDouble(key);
    }

    public boolean bool(String key) {
        return config.getBoolean(key);
    }

    public List<String> strings(String key) {
        return config.getStringList(key);
    }

    /** An enumerated value; the error names the key and the allowed values. */
    public <E extends Enum<E>> E choice(String key, Class<E> type) {
        String v = config.getString(key);
        try {
            return Enum.valueOf(type, v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> allowed = new ArrayList<>();
            for (E c : type.getEnumConstants()) {
                allowed.add(c.name().toLowerCase(Locale.ROOT));
            }
            throw new IllegalArgumentException(key + " = '" + v + "' is not one of " + String.join(", ", allowed), e);
        }
    }

    public MetaLrSettings meta() {
        try {
            return new MetaLrSettings(
                    choice("meta.lookahead", MetaLrSettings.Lookahead.class),
                    choice("meta.update", MetaLrSettings.LrUpdate.class),
                    choice("meta.direction", MetaLrSettings.Direction.class),
                    choice("meta.normalize", MetaLrSettings.Normalize.class),
                    number("meta.hyper_lr"),
                    number("meta.lr_lower"),
                    number("meta.lr_upper"),
                    integer("meta.hold_head_epochs"),
                    integer("meta.every"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public Optimizers.Settings optimizer() {
        return new Optimizers.Settings(
                word("train.optimizer"),
                number("train.weight_decay"),
                number("train.beta1"),
                number("train.beta2"),
                number("train.eps"),
                number("train.momentum"),
                bool("train.nesterov"));
    }

    public StrategyPlan.Options strategyOptions() {
        return new StrategyPlan.Options(
                number("train.lr"),
                number("strategy_options.backbone_lr_scale"),
                integer("strategy_options.partial_groups"),
                number("strategy_options.llrd_factor"),
                number("strategy_options.hd_hyper_lr"));
    }

    /** Training-time augmentation (data.augment). */
    public Augmenter augmenter() {
        List<Double> scale = config.getDoubleList("data.augment.scale");
        List<Double> ratio = config.getDoubleList("data.augment.ratio");
        if (scale.size() != 2 || ratio.size() != 2) {
            throw new IllegalArgumentException("data.augment.scale and data.augment.ratio need two numbers each, [min, max]");
        }
        if (!(scale.get(0) > 0 && scale.get(0) <= scale.get(1) && scale.get(1) <= 1)) {
            throw new IllegalArgumentException("data.augment.scale must be [min, max] with 0 < min <= max <= 1, got " + scale);
        }
        if (!(ratio.get(0) > 0 && ratio.get(0) <= ratio.get(1))) {
            throw new IllegalArgumentException("data.augment.ratio must be [min, max] with 0 < min <= max, got " + ratio);
        }
        return new Augmenter(scale.get(0), scale.get(1), ratio.get(0), ratio.get(1),
                bool("data.augment.hflip"), bool("data.augment.enabled"));
    }

    /** data.max_image_pixels and data.max_file_bytes, checked. */
    public DataLimits dataLimits() {
        try {
            return new DataLimits(config.getLong("data.max_image_pixels"), config.getBytes("data.max_file_bytes"));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("invalid configuration: " + e.getMessage(), e);
        }
    }

    /** data.read.partition_mb in bytes: how much of a splittable array one reading task takes. */
    public long readPartitionBytes() {
        long mb = config.getLong("data.read.partition_mb");
        if (mb < 1 || mb > 1024) {
            throw new IllegalArgumentException("data.read.partition_mb must be in 1..1024, got " + mb);
        }
        return mb << 20;
    }

    public String strategy() {
        return word("strategy");
    }

    public int metaBatchSize() {
        int b = integer("meta.batch_size");
        return b == 0 ? integer("train.batch_size") : b;
    }

    /** Value checks that the types alone do not catch, each naming its key. */
    private void validate() {
        positive("train.epochs");
        positive("train.batch_size");
        positive("train.eval_batch_size");
        nonNegative("train.log_every");
        nonNegative("meta.batch_size");
        nonNegative("train.checkpoint_every");
        positive("train.keep_checkpoints");
        nonNegative("train.max_steps");
        nonNegative("distributed.shards");
        nonNegative("distributed.stage_restarts");
        positive("distributed.stage_timeout_s");
        if (integer("distributed.driver_port") < 0 || integer("distributed.driver_port") > 65535) {
            throw new IllegalArgumentException("distributed.driver_port must be a port number (0 = any free port), got "
                    + integer("distributed.driver_port"));
        }
        // every rate and factor the step multiplies by: Infinity and NaN parse as numbers
        for (String key : List.of("train.lr", "train.weight_decay", "train.beta1", "train.beta2", "train.eps",
                "train.momentum", "meta.hyper_lr", "meta.lr_lower", "meta.lr_upper",
                "strategy_options.backbone_lr_scale", "strategy_options.llrd_factor", "strategy_options.hd_hyper_lr")) {
            if (!Double.isFinite(number(key))) {
                throw new IllegalArgumentException(key + " must be a finite number, got " + number(key));
            }
        }
        greaterThanZero("train.lr");
        greaterThanZero("strategy_options.backbone_lr_scale");
        oneOf("distributed.meta_mode", "local", "global");
        oneOf("distributed.cosine_norms", "exact", "shard_mean");
        oneOf("distributed.transport", "auto", "tcp");
        oneOf("train.on_nan", "fail", "skip");
        oneOf("train.select_metric", "accuracy", "auc", "loss");
        oneOf("train.optimizer", "adam", "adamw", "sgd");
        oneOf("groups.mode", "auto", "patterns");
        oneOf("meta.source", "train", "val", "holdout");
        double holdoutFraction = number("meta.holdout_fraction");
        if (!(holdoutFraction > 0 && holdoutFraction <= 0.5)) {
            throw new IllegalArgumentException("meta.holdout_fraction must be in (0, 0.5], got " + holdoutFraction);
        }
        // the executors' shards would each need their share of the hold-out cut from their training shard; not built
        if (word("meta.source").equals("holdout") && integer("distributed.shards") > 0) {
            throw new IllegalArgumentException("meta.source = holdout runs in one process only: set distributed.shards = 0 (got "
                    + integer("distributed.shards") + ") or meta.source = train or val");
        }
        if (strategy().equals("hypergradient")) {
            throw new IllegalArgumentException(StrategyPlan.RENAMED_HYPERGRADIENT);
        }
        oneOf("strategy", StrategyPlan.NAMES);
        if (number("strategy_options.hd_hyper_lr") < 0) {
            throw new IllegalArgumentException("strategy_options.hd_hyper_lr must be >= 0, got " + number("strategy_options.hd_hyper_lr"));
        }
        // the replicas would need the averaged gradient and a shared u_{t-1} per step; not built
        if (strategy().equals("hd") && integer("distributed.shards") > 0) {
            throw new IllegalArgumentException("strategy = hd runs in one process only: set distributed.shards = 0 (got "
                    + integer("distributed.shards") + ")");
        }
        oneOf("report.record_ids", "index", "hashed");
        meta();
        augmenter();
        dataLimits();
        if (integer("data.folds") == 1 || integer("data.folds") < 0) {
            throw new IllegalArgumentException("data.folds must be 0 (use the data's splits) or at least 2, got " + integer("data.folds"));
        }
    }

    private void positive(String key) {
        if (integer(key) < 1) {
            throw new IllegalArgumentException(key + " must be >= 1, got " + integer(key));
        }
    }

    private void greaterThanZero(String key) {
        if (!(number(key) > 0)) {
            throw new IllegalArgumentException(key + " must be > 0, got " + number(key));
        }
    }

    private void nonNegative(String key) {
        if (integer(key) < 0) {
            throw new IllegalArgumentException(key + " must be >= 0, got " + integer(key));
        }
    }

    private void oneOf(String key, String... allowed) {
        String v = word(key);
        for (String a : allowed) {
            if (a.equals(v)) {
                return;
            }
        }
        throw new IllegalArgumentException(key + " = '" + string(key) + "' is not one of " + String.join(", ", allowed));
    }
}
