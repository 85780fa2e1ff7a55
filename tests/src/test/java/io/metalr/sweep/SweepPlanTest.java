package io.metalr.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The sweep block: grid expansion, random sampling, and keys checked before anything runs. */
class SweepPlanTest {

    private static SweepSpec spec(String hocon) {
        return SweepSpec.from(ConfigFactory.parseString(hocon));
    }

    private static JobConfig config(SweepSpec spec, Trial t) {
        return JobConfig.of(JobConfig.withOverrides(spec.base(), t.overrides()));
    }

    @Test
    void gridCrossesVariantsValuesAndSeeds() {
        SweepSpec spec = spec("""
                train.epochs = 3
                sweep {
                  seeds = [4, 9]
                  variants {
                    paper { strategy = metalr, meta.lookahead = descent }
                    tuned_full { strategy = full }
                  }
                  grid {
                    "train.lr" = [0.001, 0.01]
                    "train.batch_size" = [8, 16, 32]
                  }
                }
                """);
        List<Trial> trials = SweepPlan.trials(spec, 0);
        assertEquals(2 * 2 * 3 * 2, trials.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < trials.size(); i++) {
            Trial t = trials.get(i);
            assertEquals(i, t.id());
            assertEquals(i / 2, t.config(), "each configuration runs once per seed, consecutively");
            assertEquals(i % 2 == 0 ? 4L : 9L, t.seed());
            JobConfig c = config(spec, t);
            assertEquals(t.seed().intValue(), c.integer("train.seed"));
            assertEquals(t.seed().intValue(), c.integer("model.init_seed"));
            assertEquals(3, c.integer("train.epochs"), "the base config stays under the overrides");
            assertEquals(i < 12 ? "paper" : "tuned_full", t.variant());
            assertEquals(i < 12 ? "metalr" : "full", c.strategy());
            assertEquals("train.lr=" + c.raw().getValue("train.lr").render() + ", train.batch_size=" + c.integer("train.batch_size"),
                    t.params());
            seen.add(t.variant() + "|" + c.number("train.lr") + "|" + c.integer("train.batch_size") + "|" + t.seed());
        }
        assertEquals(trials.size(), seen.size(), "every combination exactly once");
        // the last key varies fastest
        assertEquals(List.of(8, 16, 32), trials.subList(0, 6).stream().filter(t -> t.seed() == 4L)
                .map(t -> config(spec, t).integer("train.batch_size")).toList());
    }

    @Test
    void nestedAndQuotedKeysMeanTheSame() {
        SweepSpec quoted = spec("sweep.grid { \"meta.hyper_lr\" = [0.1, 0.2] }");
        SweepSpec nested = spec("sweep.grid { meta { hyper_lr = [0.1, 0.2] } }");
        assertEquals(SweepPlan.trials(quoted, 0), SweepPlan.trials(nested, 0));
    }

    @Test
    void noSweepBlockIsOneTrialOfTheBaseConfigWithItsOwnSeed() {
        SweepSpec spec = spec("train.seed = 7");
        List<Trial> trials = SweepPlan.trials(spec, 0);
        assertEquals(1, trials.size());
        assertEquals(null, trials.get(0).seed());
        assertEquals(7, config(spec, trials.get(0)).integer("train.seed"));
    }

    @Test
    void foldsMakeOneTrialPerFold() {
        SweepSpec spec = spec("data.folds = 3\nsweep { seeds = [0, 1], grid { strategy = [full, metalr] } }");
        List<Trial> trials = SweepPlan.trials(spec, 3);
        assertEquals(2 * 2 * 3, trials.size());
        assertEquals(List.of(0, 1, 2, 0, 1, 2), trials.subList(0, 6).stream().map(Trial::fold).toList());
        assertEquals(Set.of(0), Set.copyOf(trials.subList(0, 6).stream().map(Trial::config).toList()));
    }

    private static final String RANDOM = """
            sweep {
              mode = random
              trials = 6
              seed = %d
              grid { strategy = [full, llrd] }
              random {
                "train.lr" { log_uniform = [1e-4, 1e-2] }
                "strategy_options.llrd_factor" { uniform = [0.5, 0.9] }
                "train.batch_size" { int_uniform = [8, 12] }
                "train.optimizer" { choice = [adam, sgd] }
              }
            }
            """;

    @Test
    void randomSearchIsDeterministicBySeedAndStaysInRange() {
        List<Trial> a = SweepPlan.trials(spec(RANDOM.formatted(3)), 0);
        List<Trial> b = SweepPlan.trials(spec(RANDOM.formatted(3)), 0);
        List<Trial> c = SweepPlan.trials(spec(RANDOM.formatted(4)), 0);
        assertEquals(a, b);
        assertNotEquals(a.stream().map(Trial::overrides).toList(), c.stream().map(Trial::overrides).toList());
        assertEquals(2 * 6, a.size(), "sweep.trials draws for every grid point");
        SweepSpec spec = spec(RANDOM.formatted(3));
        Set<Double> lrs = new HashSet<>();
        Set<String> optimizers = new HashSet<>();
        for (Trial t : a) {
            JobConfig cfg = config(spec, t);
            double lr = cfg.number("train.lr");
            assertTrue(lr >= 1e-4 && lr <= 1e-2, "log_uniform out of range: " + lr);
            double f = cfg.number("strategy_options.llrd_factor");
            assertTrue(f >= 0.5 && f <= 0.9, "uniform out of range: " + f);
            int bs = cfg.integer("train.batch_size");
            assertTrue(bs >= 8 && bs <= 12, "int_uniform out of range: " + bs);
            optimizers.add(cfg.word("train.optimizer"));
            lrs.add(lr);
            assertTrue(t.params().contains("train.lr=" + cfg.raw().getValue("train.lr").render()), t.params());
        }
        assertEquals(a.size(), lrs.size(), "draws differ");
        assertTrue(Set.of("adam", "sgd").containsAll(optimizers));
        assertEquals(List.of("full", "llrd"), List.of(config(spec, a.get(0)).strategy(), config(spec, a.get(6)).strategy()));
    }

    private static void rejected(String hocon, String... named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec(hocon));
        for (String n : named) {
            assertTrue(e.getMessage().contains(n), "'" + e.getMessage() + "' should name " + n);
        }
    }

    @Test
    void unknownAndMisplacedKeysFailNamingTheKey() {
        rejected("sweep.grid { \"train.lrr\" = [0.1] }", "train.lrr", "sweep.grid");
        rejected("sweep.variants { paper { meta.lookahed = descent } }", "meta.lookahed", "sweep.variants.paper");
        rejected("sweep { mode = random, trials = 2, random { \"train.l\" { uniform = [0, 1] } } }", "train.l", "sweep.random");
        rejected("sweep.parallelsm = 2", "sweep.parallelsm");
        rejected("sweep { seeds = [0, 1], grid { \"train.seed\" = [1, 2] } }", "train.seed", "sweep.seeds");
        rejected("sweep.grid { meta = [{ every = 2 }] }", "meta", "section");
        rejected("sweep.grid { \"data.folds\" = [2, 3] }", "data.folds");
        rejected("sweep { variants { a { \"train.lr\" = 0.1 } }, grid { \"train.lr\" = [0.2] } }", "train.lr", "sweep.variants.a");
        rejected("sweep.grid { \"train.lr\" = 0.1 }", "train.lr", "list");
        rejected("sweep.random { \"train.lr\" { uniform = [0, 1] } }", "sweep.mode");
        rejected("sweep { mode = random, trials = 0, random { \"train.lr\" { uniform = [0, 1] } } }", "sweep.trials");
        rejected("sweep { mode = random, trials = 1, random { \"train.lr\" { log_uniform = [0, 1] } } }", "train.lr", "lo > 0");
        rejected("sweep { mode = random, trials = 1, random { \"train.lr\" { gauss = [0, 1] } } }", "train.lr", "distribution");
        rejected("sweep.mode = bayes", "sweep.mode");
    }

    @Test
    void theDemoSweepIsValidAndTrainIgnoresItsBlock() {
        com.typesafe.config.Config file = ConfigFactory.parseFile(new java.io.File("../conf/sweep-demo.conf"));
        SweepSpec spec = SweepSpec.from(file);
        List<Trial> trials = SweepPlan.trials(spec, 0);
        assertEquals(7 * 2 * 3, trials.size());
        assertEquals(List.of("metalr_paper", "metalr_code", "metalr_cosine", "full", "linear_probe", "partial", "llrd"),
                List.copyOf(new java.util.LinkedHashSet<>(trials.stream().map(Trial::variant).toList())));
        for (Trial t : trials) {
            JobConfig c = config(spec, t); // every trial's config validates before the sweep is run
            io.metalr.meta.MetaLrSettings meta = c.meta();
            switch (t.variant()) {
                case "metalr_code" -> assertEquals(io.metalr.meta.MetaLrSettings.Lookahead.ASCENT, meta.lookahead());
                case "metalr_cosine" -> assertEquals(List.of("OPTIMIZER", "COSINE", "DESCENT"),
                        List.of(meta.direction().name(), meta.normalize().name(), meta.lookahead().name()));
                case "metalr_paper" -> assertEquals(io.metalr.meta.MetaLrSettings.paper().lookahead(), meta.lookahead());
                default -> assertEquals(t.variant(), c.strategy());
            }
        }
        // `metalr train --config conf/sweep-demo.conf` trains the base config
        assertEquals("metalr", JobConfig.of(file).strategy());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobConfig.of(ConfigFactory.parseString("sweep.parallelsm = 2")));
        assertTrue(e.getMessage().contains("sweep.parallelsm"), e.getMessage());
    }

    @Test
    void aParallelismCapDealsTrialsRoundRobin() {
        List<Trial> trials = SweepPlan.trials(spec("sweep { seeds = [0, 1, 2, 3, 4], grid { strategy = [full, llrd] } }"), 0);
        List<List<Trial>> tasks = Sweep.deal(trials, 3);
        assertEquals(List.of(4, 3, 3), tasks.stream().map(List::size).toList());
        assertEquals(List.of(0, 3, 6, 9), tasks.get(0).stream().map(Trial::id).toList());
        assertEquals(trials.size(), Sweep.deal(trials, trials.size()).stream().filter(l -> l.size() == 1).count());
    }
    @Test
    void aVariantsOwnGridReplacesTheSweepGridForItAlone() {
        SweepSpec spec = spec("""
                sweep {
                  seeds = [0, 1]
                  variants {
                    cosine { strategy = metalr, grid = {} }
                    full { strategy = full, grid { "train.lr" = [0.001, 0.003, 0.01] } }
                    llrd { strategy = llrd }
                  }
                  grid { "train.lr" = [0.1, 0.2] }
                }
                """);
        List<Trial> trials = SweepPlan.trials(spec, 0);
        assertEquals((1 + 3 + 2) * 2, trials.size());
        List<Trial> cosine = trials.stream().filter(t -> t.variant().equals("cosine")).toList();
        assertEquals(2, cosine.size());
        assertEquals("", cosine.get(0).params());
        assertEquals(0.01, config(spec, cosine.get(0)).number("train.lr"), "unswept: the base config's own rate");
        assertEquals(List.of(0.001, 0.001, 0.003, 0.003, 0.01, 0.01), trials.stream().filter(t -> t.variant().equals("full"))
                .map(t -> config(spec, t).number("train.lr")).toList());
        assertEquals(List.of(0.1, 0.1, 0.2, 0.2), trials.stream().filter(t -> t.variant().equals("llrd"))
                .map(t -> config(spec, t).number("train.lr")).toList(), "a variant without a grid keeps sweep.grid");
        assertEquals(List.of(0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5), trials.stream().skip(1).map(Trial::config).toList());

        // a variant's grid key is checked like sweep.grid's, and its overrides may not set what it sweeps
        assertTrue(assertThrows(IllegalArgumentException.class, () -> spec(
                "sweep.variants.full { strategy = full, grid { \"train.lrr\" = [1, 2] } }")).getMessage()
                .contains("sweep.variants.full.grid: unknown configuration key train.lrr"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> spec(
                "sweep.variants.full { train.lr = 0.1, grid { \"train.lr\" = [1, 2] } }")).getMessage()
                .contains("train.lr is set by sweep.variants.full and swept in sweep.variants.full.grid"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> spec(
                "sweep.variants.full { grid = [1] }")).getMessage().contains("sweep.variants.full.grid must be a block"));
        // its own grid frees the variant from sweep.grid's keys: it may fix one of them
        assertEquals(1, SweepPlan.trials(spec("sweep { variants.a { train.lr = 0.1, grid = {} }, grid { \"train.lr\" = [1, 2] } }"),
                0).size());
    }
}
