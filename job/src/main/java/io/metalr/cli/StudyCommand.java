package io.metalr.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.DemoData;
import io.metalr.spark.SparkSessions;
import io.metalr.study.Study;

import org.apache.spark.sql.SparkSession;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code metalr study}: the comparison study of issue 13. The same sweep (MetaLR arms and tuned
 * baselines over the same seeds) on each task of the config's {@code study.tasks}, fine-tuning the
 * demo's source model, then one report ({@code report.md}, {@code study.json}, the MetaLR arms'
 * learning-rate charts). A rerun continues where the last one stopped.
 */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = "The comparison study: MetaLR against tuned baselines on several tasks, paired by seed, one report.")
public final class StudyCommand implements Callable<Integer> {

    @Spec
    CommandSpec command;

    @Option(names = "--config", description = "the study's config (default: ${DEFAULT-VALUE})")
    File config = new File("conf/study.conf");

    @Option(names = "--dir", description = "where the tasks' sweeps and the report go, any Hadoop path (default: ${DEFAULT-VALUE})")
    String dir = "runs/study";

    @Option(names = "--set", description = "override a key, also sweep.* and study.*: --set train.epochs=2 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--tasks", split = ",", description = "run only these tasks of study.tasks, e.g. --tasks brain_mri")
    List<String> tasks = new ArrayList<>();

    @Option(names = "--overwrite", description = "run the tasks' sweeps again from the start; without it a rerun continues"
            + " them (finished trials are not run again)")
    boolean overwrite;

    @Option(names = "--no-prepare", negatable = false, description = "take the config's data and model.pretrained as they are;"
            + " by default the demo data is prepared and the demo's source model pre-trained when missing, as `demo` does")
    boolean noPrepare;

    @Option(names = "--data", description = "where the prepared data sets live (default: ${DEFAULT-VALUE})")
    Path data = Path.of("data");

    @Option(names = "--demo-dir", description = "the demo's folder, whose source model is fine-tuned (default: ${DEFAULT-VALUE})")
    Path demoDir = Path.of("runs/demo");

    @Option(names = "--source-epochs", description = "pre-training epochs of a missing source model (default: ${DEFAULT-VALUE})")
    int sourceEpochs = 2;

    @Override
    public Integer call() throws Exception {
        if (!config.isFile()) {
            throw new IllegalArgumentException("--config: no such file " + config);
        }
        Config user = JobConfig.withOverrides(ConfigFactory.parseFile(config), overrides);
        List<Study.Task> plan = Study.tasks(user, dir, tasks); // a bad study block fails before any preparation
        if (!noPrepare) {
            Path[] files = DemoData.prepare(data, 0, System.out::println);
            Path source = SourceModel.ensure(demoDir, files[0], sourceEpochs);
            user = ConfigFactory.parseString("model.pretrained = " + com.typesafe.config.ConfigUtil.quoteString(source.toString()))
                    .withFallback(user);
            plan = Study.tasks(user, dir, tasks);
        }
        SparkSessions.context(JobConfig.of(plan.get(0).config().withoutPath("sweep")));
        // the parse's original arguments are the whole command line, "study" included
        String commandLine = "metalr " + String.join(" ", command.commandLine().getParseResult().originalArgs());
        Study.run(SparkSession.active(), plan, dir, overwrite, commandLine, System.out::println);
        return ExitCodes.OK;
    }
}
