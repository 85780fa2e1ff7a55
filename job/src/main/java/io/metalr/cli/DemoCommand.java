package io.metalr.cli;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The embedded default: pre-trains a source model on one synthetic task, then fine-tunes it on a
 * small labelled target task with MetaLR and with the baselines, and prints the comparison.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Pre-train, then compare MetaLR with baselines.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--dir", description = "where runs are written (default: ${DEFAULT-VALUE})")
    Path dir = Path.of("runs/demo");

    @Option(names = "--epochs", description = "fine-tuning epochs (default: ${DEFAULT-VALUE})")
    int epochs = 6;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(dir);
        Path source = dir.resolve("source/model/weights.ndlist");
        if (!Files.isRegularFile(source)) {
            System.out.println("== pre-training the source model (synthetic blobs, from scratch)");
            TrainCommand.run(JobConfig.of(ConfigFactory.parseString(String.join("\n",
                    "strategy = scratch", "model.name = small_resnet", "train.epochs = 3", "train.batch_size = 64",
                    "train.lr = 0.003", "train.log_every = 0", "data.synthetic { task = blobs, classes = 6, train = 1536, val = 256, test = 256 }",
                    "run.dir = \"" + dir.resolve("source") + "\""))));
        }
        List<String> rows = new ArrayList<>();
        for (String strategy : List.of("metalr", "full", "linear_probe", "llrd")) {
            System.out.println("== fine-tuning on the target task (synthetic stripes), strategy " + strategy);
            Trainer.Outcome out = TrainCommand.run(JobConfig.of(ConfigFactory.parseString(String.join("\n",
                    "strategy = " + strategy, "model.name = small_resnet", "model.pretrained = \"" + source + "\"",
                    "train.epochs = " + epochs, "train.batch_size = 64", "train.lr = 0.003", "train.log_every = 0",
                    "meta.hold_head_epochs = 1", "meta.lr_upper = 0.01",
                    "data.synthetic { task = stripes, classes = 4, train = 256, val = 128, test = 512 }",
                    "run.dir = \"" + dir.resolve(strategy) + "\""))));
            rows.add(String.format(Locale.ROOT, "%-14s %8.3f %8.3f   %s", strategy,
                    out.test().accuracy(), out.test().macroAuc(), rates(out.finalLr())));
        }
        System.out.println("\nstrategy       test acc test auc   final group LRs");
        rows.forEach(System.out::println);
        return ExitCodes.OK;
    }

    private static String rates(double[] v) {
        return java.util.Arrays.stream(v).mapToObj(x -> String.format(Locale.ROOT, "%.1e", x)).toList().toString();
    }
}
