package io.metalr.cli;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.DemoData;
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
 * The embedded default: prepares the demo data, pre-trains a source model on Fashion-MNIST from
 * scratch, then fine-tunes it on brain-MRI patches with MetaLR and with the baselines, and prints
 * the comparison.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Pre-train, then compare MetaLR with baselines.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--dir", description = "where runs are written (default: ${DEFAULT-VALUE})")
    Path dir = Path.of("runs/demo");

    @Option(names = "--data", description = "where the prepared data sets live (default: ${DEFAULT-VALUE})")
    Path data = Path.of("data");

    @Option(names = "--source-epochs", description = "pre-training epochs (default: ${DEFAULT-VALUE})")
    int sourceEpochs = 2;

    @Option(names = "--epochs", description = "fine-tuning epochs (default: ${DEFAULT-VALUE})")
    int epochs = 8;

    @Option(names = "--strategies", split = ",", description = "strategies to compare (default: ${DEFAULT-VALUE})")
    List<String> strategies = List.of("metalr", "full", "linear_probe", "llrd");

    @Override
    public Integer call() throws Exception {
        // the demo reruns into the same folders: each run replaces the previous one (TrainCommand's --overwrite)
        Path[] files = DemoData.prepare(data, 0, System.out::println);
        Path source = dir.resolve("source/model/weights.ndlist");
        if (!Files.isRegularFile(source)) {
            System.out.println("== pre-training the source model on " + files[0] + " (from scratch)");
            TrainCommand.run(JobConfig.of(ConfigFactory.parseString(String.join("\n",
                    "strategy = scratch", "model.name = small_resnet", "train.epochs = " + sourceEpochs,
                    "train.batch_size = 64", "train.lr = 0.003", "train.log_every = 200", "train.select_metric = accuracy",
                    "data.format = medmnist", "data.path = \"" + files[0] + "\"",
                    "run.dir = \"" + dir.resolve("source") + "\""))), false, true);
        }
        List<String> rows = new ArrayList<>();
        for (String strategy : strategies) {
            System.out.println("== fine-tuning on " + files[1] + ", strategy " + strategy);
            Trainer.Outcome out = TrainCommand.run(JobConfig.of(ConfigFactory.parseString(String.join("\n",
                    "strategy = " + strategy, "model.name = small_resnet", "model.pretrained = \"" + source + "\"",
                    "train.epochs = " + epochs, "train.batch_size = 64", "train.lr = 0.003", "train.log_every = 0",
                    "meta.hold_head_epochs = 1",
                    "data.format = medmnist", "data.path = \"" + files[1] + "\"",
                    "run.dir = \"" + dir.resolve(strategy) + "\""))), false, true);
            rows.add(String.format(Locale.ROOT, "%-14s %8.3f %8.3f   %s", strategy,
                    out.test().accuracy(), out.test().macroAuc(), rates(out.finalLr())));
        }
        System.out.println("\nbrain-MRI regions, fine-tuned from Fashion-MNIST (test split)");
        System.out.println("strategy       test acc test auc   final group LRs");
        rows.forEach(System.out::println);
        return ExitCodes.OK;
    }

    private static String rates(double[] v) {
        return java.util.Arrays.stream(v).mapToObj(x -> String.format(Locale.ROOT, "%.1e", x)).toList().toString();
    }
}
