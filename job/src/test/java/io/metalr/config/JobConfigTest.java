package io.metalr.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import io.metalr.meta.MetaLrSettings;
import io.metalr.optim.Optimizers;
import io.metalr.train.RunSetup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Loading, validating and overriding the job's configuration, and the documentation of every key. */
class JobConfigTest {

    private static JobConfig parse(String hocon) {
        return JobConfig.of(ConfigFactory.parseString(hocon));
    }

    /** The error for the config, which must be an IllegalArgumentException or a ConfigException. */
    private static RuntimeException error(String hocon) {
        try {
            parse(hocon);
        } catch (IllegalArgumentException | ConfigException e) {
            return e;
        }
        return fail("expected '" + hocon + "' to be rejected");
    }

    private static void assertNamesKey(String key, RuntimeException e) {
        String msg = String.valueOf(e.getMessage());
        // the key as a whole word: train.epoch must not be satisfied by train.epochs
        Matcher m = Pattern.compile("(?<![\\w.])" + Pattern.quote(key) + "(?![\\w.])").matcher(msg);
        assertTrue(m.find(), "message should name " + key + ": " + msg);
    }

    @Test
    void defaultsLoad() {
        JobConfig c = JobConfig.defaults();
        assertEquals("metalr", c.strategy());
        assertEquals("small_resnet", c.string("model.name"));
        assertEquals(30, c.integer("train.epochs"));
        assertEquals(0.01, c.number("train.lr"));
        assertEquals(MetaLrSettings.paper(), c.meta());
        assertEquals(new Optimizers.Settings("adam", 1e-4, 0.9, 0.999, 1e-8, 0.9, false), c.optimizer());
        assertEquals(128, c.metaBatchSize(), "meta.batch_size 0 means train.batch_size");
        assertEquals(0.1, c.strategyOptions().backboneLrScale());
        assertEquals(2, c.strategyOptions().partialGroups());
        assertEquals(0.8, c.strategyOptions().llrdFactor());
        assertEquals(0.01, c.strategyOptions().lr());
        assertEquals("", c.string("run.dir"));
        assertEquals(List.of(), c.strings("groups.patterns"));
        // an empty user config is the defaults
        assertEquals(c.raw(), parse("").raw());
    }

    @Test
    void userValuesOverrideDefaults() {
        JobConfig c = parse("strategy = llrd\ntrain { epochs = 3, lr = 0.002 }\nmeta.batch_size = 7\nmeta.update = additive");
        assertEquals("llrd", c.strategy());
        assertEquals(3, c.integer("train.epochs"));
        assertEquals(0.002, c.strategyOptions().lr());
        assertEquals(7, c.metaBatchSize());
        assertEquals(MetaLrSettings.LrUpdate.ADDITIVE, c.meta().update());
        assertEquals(128, c.integer("train.batch_size"), "untouched keys keep their default");
    }

    @Test
    void unknownKeyIsAnErrorNamingIt() {
        assertNamesKey("train.epoch", error("train.epoch = 3"));
        assertNamesKey("data.synthetic.sise", error("data.synthetic.sise = 3"));
        assertNamesKey("foo.bar", error("foo { bar = 1 }"));
        // several at once are all named
        RuntimeException e = error("train.epoch = 3\nmeta.hyperlr = 1");
        assertNamesKey("train.epoch", e);
        assertNamesKey("meta.hyperlr", e);
    }

    @Test
    void wrongTypeNamesTheKey() {
        assertNamesKey("train.epochs", error("train.epochs = \"many\""));
        assertNamesKey("train.epochs", error("train.epochs = many"));
        assertNamesKey("train.lr", error("train.lr = fast"));
        assertNamesKey("meta.hyper_lr", error("meta.hyper_lr = big"));
        assertNamesKey("meta.every", error("meta.every = [1, 2]"));
        assertNamesKey("groups.patterns", error("groups.patterns = \"^conv\""));
        assertNamesKey("train", error("train = 3"));
    }

    /** Every numeric or boolean key, given a word, must fail at load (not later, mid-run). */
    @Test
    void wrongTypeOfAnyKeyIsRejectedAtLoad() throws IOException {
        List<String> accepted = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : metalrReference().entrySet()) {
            ConfigValueType t = e.getValue().valueType();
            if (t != ConfigValueType.NUMBER && t != ConfigValueType.BOOLEAN) {
                continue;
            }
            String key = e.getKey();
            try {
                parse(key + " = \"not-a-" + t.name().toLowerCase() + "\"");
                accepted.add(key);
            } catch (IllegalArgumentException | ConfigException ex) {
                assertNamesKey(key, ex);
            }
        }
        assertEquals(List.of(), accepted, "keys whose wrong-typed value loads without error");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "strategy|magic|metalr, full, linear_probe",
        "train.optimizer|rmsprop|adam, adamw, sgd",
        "train.on_nan|ignore|fail, skip",
        "train.select_metric|f1|accuracy, auc, loss",
        "groups.mode|manual|auto, patterns",
        "meta.source|test|train, val",
        "meta.lookahead|sideways|descent, ascent",
        "meta.update|geometric|multiplicative, additive",
        "meta.direction|adam|sgd, optimizer",
        "meta.normalize|l2|none, cosine",
    })
    void badEnumNamesTheKeyAndListsAllowedValues(String key, String value, String allowed) {
        RuntimeException e = error(key + " = " + value);
        assertNamesKey(key, e);
        assertTrue(e.getMessage().contains(value), e.getMessage());
        assertTrue(e.getMessage().contains(allowed), "should list '" + allowed + "': " + e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "train.epochs|0",
        "train.batch_size|-1",
        "train.eval_batch_size|0",
        "train.log_every|-1",
        "meta.batch_size|-2",
        "train.lr|0",
        "train.lr|-0.1",
        "data.folds|1",
        "data.folds|-3",
        "meta.hyper_lr|-1",
        "meta.lr_lower|0",
        "meta.lr_upper|1e-9",
        "meta.hold_head_epochs|-1",
        "meta.every|0",
        "train.lr|Infinity",
        "train.lr|NaN",
        "meta.hyper_lr|Infinity",
        "train.weight_decay|-Infinity",
        "strategy_options.backbone_lr_scale|0",
        "strategy_options.backbone_lr_scale|-0.5",
        "distributed.shards|-1",
        "train.checkpoint_every|-10",
        "train.keep_checkpoints|0",
        "distributed.meta_mode|both",
        "strategy_options.hd_hyper_lr|-1e-7",
        "strategy_options.hd_hyper_lr|NaN",
        "meta.source|heldout",
        "meta.holdout_fraction|0",
        "meta.holdout_fraction|0.51",
        "meta.holdout_fraction|NaN",
    })
    void badValueNamesTheKey(String key, String value) {
        assertNamesKey(key, error(key + " = " + value));
    }

    @Test
    void theOldHypergradientNameIsRefusedNamingItsNewNames() {
        RuntimeException e = error("strategy = hypergradient");
        assertNamesKey("strategy", e);
        assertTrue(e.getMessage().contains("renamed to metalr_global"), e.getMessage());
        assertTrue(e.getMessage().contains("the true hypergradient descent is hd"), e.getMessage());
        assertEquals("metalr_global", parse("strategy = metalr_global").strategy());
    }

    @Test
    void hdIsRefusedOnShards() {
        RuntimeException e = error("strategy = hd\ndistributed.shards = 2");
        assertNamesKey("strategy", e);
        assertNamesKey("distributed.shards", e);
        assertEquals("hd", parse("strategy = hd\ndistributed.shards = 0").strategy());
        assertEquals(1e-7, parse("strategy = hd").number("strategy_options.hd_hyper_lr"), 0.0);
    }

    @Test
    void metaHoldoutIsRefusedOnShards() {
        RuntimeException e = error("meta.source = holdout\ndistributed.shards = 2");
        assertNamesKey("meta.source", e);
        assertNamesKey("distributed.shards", e);
        assertEquals("holdout", parse("meta.source = holdout\ndistributed.shards = 0").word("meta.source"));
        assertEquals(0.1, parse("meta.source = holdout").number("meta.holdout_fraction"), 0.0);
        assertEquals(0.5, parse("meta.source = holdout\nmeta.holdout_fraction = 0.5").number("meta.holdout_fraction"), 0.0);
        assertEquals("val", parse("meta.source = val\ndistributed.shards = 2").word("meta.source"));
    }

    @Test
    void enumsAreCaseInsensitive() {
        JobConfig c = parse("strategy = LLRD\ntrain.optimizer = AdamW\nmeta.update = Additive\nmeta.lookahead = ASCENT");
        assertEquals("llrd", c.strategy());
        assertEquals("adamw", c.optimizer().name());
        assertEquals(MetaLrSettings.LrUpdate.ADDITIVE, c.meta().update());
        assertEquals(MetaLrSettings.Lookahead.ASCENT, c.meta().lookahead());
    }

    /**
     * validate() accepts groups.mode case-insensitively, so the accepted value must be honoured
     * (or be rejected at load).
     */
    @Test
    void acceptedUpperCaseGroupsModeIsHonoured() {
        JobConfig c;
        try {
            c = parse("groups.mode = PATTERNS\ngroups.patterns = [\"^(conv1|bn1)\\\\.\", \"^layer\", \"^fc\\\\.\"]");
        } catch (IllegalArgumentException e) {
            return; // rejecting it at load is fine too
        }
        RunSetup setup = RunSetup.from(c, 1, 3);
        assertEquals(3, setup.groups().size(), "the configured patterns make 3 groups; auto makes 5");
    }

    @Test
    void lowerCasePatternsModeUsesThePatterns() {
        JobConfig c = parse("groups.mode = patterns\ngroups.patterns = [\"^(conv1|bn1)\\\\.\", \"^layer\", \"^fc\\\\.\"]");
        assertEquals(3, RunSetup.from(c, 1, 3).groups().size());
        assertEquals(5, RunSetup.from(JobConfig.defaults(), 1, 3).groups().size());
    }

    @Test
    void overridesParseValuesAndPaths() {
        Config user = JobConfig.withOverrides(ConfigFactory.parseString("train.epochs = 9\nstrategy = full"), List.of(
                "train.epochs=5",
                "train.lr = 1e-3",
                "train.nesterov=true",
                "strategy=llrd",
                "model.pretrained=/tmp/a b/x.npz",
                "data.path=hdfs://nn:8020/data/x.npz",
                "run.dir=/runs/a=b/c#d",
                "groups.patterns=[\"^conv\", \"^fc\"]",
                "meta.batch_size=3",
                "meta.batch_size=4"));
        JobConfig c = JobConfig.of(user);
        assertEquals(5, c.integer("train.epochs"));
        assertEquals(1e-3, c.number("train.lr"));
        assertTrue(c.bool("train.nesterov"));
        assertEquals("llrd", c.strategy());
        assertEquals("/tmp/a b/x.npz", c.string("model.pretrained"));
        assertEquals("hdfs://nn:8020/data/x.npz", c.string("data.path"));
        assertEquals("/runs/a=b/c#d", c.string("run.dir"));
        assertEquals(List.of("^conv", "^fc"), c.strings("groups.patterns"));
        assertEquals(4, c.metaBatchSize(), "the last override wins");
    }

    @Test
    void overridesWithAwkwardStrings() {
        for (String v : List.of("C:\\data\\x.npz", "it's \"quoted\"", "s3a://bucket/key with space/x.ndlist",
                "/tmp/x,y/{z}.pt", "file:///tmp/x.npz", "/tmp/${HOME}/x")) {
            Config user = JobConfig.withOverrides(ConfigFactory.empty(), List.of("model.pretrained=" + v));
            assertEquals(v, JobConfig.of(user).string("model.pretrained"), v);
        }
        Config empty = JobConfig.withOverrides(ConfigFactory.empty(), List.of("run.dir="));
        assertEquals("", JobConfig.of(empty).string("run.dir"));
    }

    @Test
    void badOverrides() {
        assertThrows(IllegalArgumentException.class,
                () -> JobConfig.withOverrides(ConfigFactory.empty(), List.of("train.epochs")));
        assertThrows(IllegalArgumentException.class,
                () -> JobConfig.withOverrides(ConfigFactory.empty(), List.of("=5")));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> JobConfig.of(JobConfig.withOverrides(ConfigFactory.empty(), List.of("train.epoch=3"))));
        assertNamesKey("train.epoch", e);
    }

    @Test
    void renderedConfigLoadsBackToTheSameValues() {
        JobConfig c = parse("strategy = partial\nmodel.pretrained = \"/tmp/a b/x.npz\"\ntrain.epochs = 4");
        JobConfig back = JobConfig.of(ConfigFactory.parseString(c.render()));
        assertEquals(c.raw(), back.raw());
    }

    // ---- documentation of reference.conf ----

    private static String referenceText() throws IOException {
        Path file = Path.of("..", "conf", "reference.conf");
        if (Files.isRegularFile(file)) {
            return Files.readString(file, StandardCharsets.UTF_8);
        }
        for (URL url : Collections.list(JobConfig.class.getClassLoader().getResources("reference.conf"))) {
            try (InputStream in = url.openStream()) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                if (text.contains("metalr")) {
                    return text;
                }
            }
        }
        return fail("conf/reference.conf not found");
    }

    private static Config metalrReference() throws IOException {
        return ConfigFactory.parseString(referenceText());
    }

    /** Leaf key lines of reference.conf, with their full path and whether a comment documents them. */
    private record KeyLine(String path, int line, boolean commentAbove, boolean inDocumentedRun) {}

    private static List<KeyLine> keyLines(String text) {
        Pattern open = Pattern.compile("^\\s*([A-Za-z_][\\w.]*)\\s*\\{\\s*$");
        Pattern leaf = Pattern.compile("^\\s*([A-Za-z_][\\w.]*)\\s*[=:]");
        Deque<String> stack = new ArrayDeque<>();
        List<KeyLine> out = new ArrayList<>();
        String[] lines = text.split("\\R", -1);
        boolean prevComment = false;
        boolean prevDocumentedLeaf = false;
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].trim();
            Matcher mo = open.matcher(lines[i]);
            Matcher ml = leaf.matcher(lines[i]);
            if (l.startsWith("#") || l.startsWith("//")) {
                prevComment = true;
                prevDocumentedLeaf = false;
                continue;
            }
            if (mo.matches()) {
                stack.push(mo.group(1));
            } else if (l.equals("}")) {
                stack.pop();
            } else if (ml.find()) {
                List<String> parts = new ArrayList<>(stack);
                Collections.reverse(parts);
                parts.add(ml.group(1));
                boolean documented = prevComment || prevDocumentedLeaf;
                out.add(new KeyLine(String.join(".", parts), i + 1, prevComment, documented));
                prevComment = false;
                prevDocumentedLeaf = documented;
                continue;
            }
            prevComment = false;
            prevDocumentedLeaf = false;
        }
        return out;
    }

    @Test
    void keyLineParserFindsEveryKey() throws IOException {
        TreeSet<String> parsed = new TreeSet<>();
        keyLines(referenceText()).forEach(k -> parsed.add(k.path()));
        assertEquals(leafKeys(metalrReference()), parsed);
    }

    private static TreeSet<String> leafKeys(Config c) {
        TreeSet<String> keys = new TreeSet<>();
        c.entrySet().forEach(e -> keys.add(e.getKey()));
        return keys;
    }

    /**
     * Every key is documented: a comment line right above it, or it continues a block of keys
     * (no blank line) that starts under a comment, such as "# sgd only" over momentum and nesterov.
     */
    @Test
    void everyKeyInReferenceConfIsDocumented() throws IOException {
        List<String> undocumented = keyLines(referenceText()).stream()
                .filter(k -> !k.inDocumentedRun()).map(k -> k.path() + " (line " + k.line() + ")").toList();
        assertEquals(List.of(), undocumented);
    }

    @Test
    void everyKeyHasADefaultThatLoads() throws IOException {
        Config ref = metalrReference();
        JobConfig d = JobConfig.defaults();
        for (Map.Entry<String, ConfigValue> e : ref.entrySet()) {
            assertTrue(d.raw().hasPath(e.getKey()), e.getKey());
            assertEquals(e.getValue().unwrapped(), d.raw().getValue(e.getKey()).unwrapped(), e.getKey());
        }
        assertFalse(ref.entrySet().isEmpty());
    }
}
