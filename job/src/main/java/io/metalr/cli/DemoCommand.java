package io.metalr.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.DemoData;
import io.metalr.spark.SparkSessions;
import io.metalr.sweep.Sweep;
import io.metalr.sweep.SweepSpec;
import io.metalr.sweep.TrialResult;

import org.apache.spark.sql.SparkSession;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The embedded default: prepares the demo data, pre-trains a source model on Fashion-MNIST from
 * scratch when there is none, then fine-tunes it on brain-MRI patches with MetaLR (three rules)
 * and three baselines, as the trials of one sweep ({@code demo.conf}) in parallel Spark tasks on
 * local[*]; every trial writes its run directory and report, and the comparison is printed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Pre-train, then compare MetaLR with baselines on Spark.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--dir", description = "where runs are written (default: ${DEFAULT-VALUE})")
    Path dir = Path.of("runs/demo");

    @Option(names = "--data", description = "where the prepared data sets live (default: ${DEFAULT-VALUE})")
    Path data = Path.of("data");

    @Option(names = "--source-epochs", description = "pre-training epochs (default: ${DEFAULT-VALUE})")
    int sourceEpochs = 2;

    @Option(names = "--set", description = "override a key of the demo's config (conf/demo.conf), e.g. --set train.epochs=4")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Path[] files = DemoData.prepare(data, 0, System.out::println);
        Path source = SourceModel.ensure(dir, files[0], sourceEpochs);
        Config demo = ConfigFactory.parseString(String.join("\n",
                "model.pretrained = \"" + source + "\"", "data.path = \"" + files[1] + "\"", "run.dir = \"" + dir + "\""))
                .withFallback(ConfigFactory.parseResources(DemoCommand.class.getClassLoader(), "demo.conf"));
        SweepSpec spec = SweepSpec.from(JobConfig.withOverrides(demo, overrides));
        JobConfig base = JobConfig.of(spec.base());
        System.out.println("== fine-tuning on " + files[1] + ": " + spec.variants().keySet() + " as Spark tasks on "
                + base.string("distributed.master"));
        SparkSessions.context(base);
        Sweep.Result result = Sweep.run(SparkSession.active(), spec, System.out::println);
        System.out.println("\nbrain-MRI regions, fine-tuned from Fashion-MNIST: each run's report");
        for (TrialResult r : result.results()) {
            System.out.printf("  %-14s %s%n", r.variant(), spec.trialRuns()
                    ? result.out() + "/trials/trial-" + r.trial() + "/report.html" : r.status());
        }
        return exitCode(result);
    }

    /** Non-zero when a trial failed: a demo that half worked should not look like a success. */
    private static int exitCode(Sweep.Result result) {
        return result.results().stream().allMatch(TrialResult::ok) ? ExitCodes.OK : ExitCodes.DIVERGED;
    }
}
