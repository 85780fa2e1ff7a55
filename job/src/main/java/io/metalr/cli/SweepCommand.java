package io.metalr.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.spark.SparkSessions;
import io.metalr.sweep.Sweep;
import io.metalr.sweep.SweepSpec;

import org.apache.spark.sql.SparkSession;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code metalr sweep --config FILE --set key=value ... [--resume | --overwrite]}: the trials of the
 * config's {@code sweep} block as parallel Spark tasks, each committing its row as it ends, then the
 * results table and the comparison.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Grid or random search over strategies and hyper-parameters, trials as parallel Spark tasks.")
public final class SweepCommand implements Callable<Integer> {

    @Option(names = "--config", description = "HOCON config with a sweep { } block (keys in conf/reference.conf)")
    File config;

    @Option(names = "--set", description = "override a key, also sweep.*: --set train.epochs=5 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "continue the unfinished sweep in sweep.out: only the trials without a committed"
            + " row run (refused when the config, plan or data differ from the sweep found there)")
    boolean resume;

    @Option(names = "--overwrite", description = "replace the sweep in sweep.out; without it (or --resume), an output holding"
            + " a sweep is refused")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        if (config != null && !config.isFile()) {
            throw new IllegalArgumentException("--config: no such file " + config);
        }
        Config user = config == null ? ConfigFactory.empty() : ConfigFactory.parseFile(config);
        SweepSpec spec = SweepSpec.from(JobConfig.withOverrides(user, overrides));
        JobConfig base = JobConfig.of(spec.base()); // a bad base config fails before Spark starts
        SparkSessions.context(base);
        Sweep.run(SparkSession.active(), spec, resume, overwrite, System.out::println);
        return ExitCodes.OK;
    }
}
