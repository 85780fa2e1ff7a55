package io.metalr.cli;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The demo's source model: small_resnet pre-trained from scratch on Fashion-MNIST, which the demo
 * and the study fine-tune. One place, so both use the same model from the same folder.
 */
final class SourceModel {

    private SourceModel() {}

    /** Where the source model's run directory lives under a demo folder. */
    static Path runDir(Path demoDir) {
        return demoDir.resolve("source");
    }

    /** The weights under a demo folder ({@code <demoDir>/source/model/weights.ndlist}). */
    static Path weights(Path demoDir) {
        return runDir(demoDir).resolve("model/weights.ndlist");
    }

    /**
     * The source model's weights, pre-training them on {@code fashionMnist} for {@code epochs}
     * epochs when they are missing.
     */
    static Path ensure(Path demoDir, Path fashionMnist, int epochs) throws Exception {
        Path weights = weights(demoDir);
        if (!Files.isRegularFile(weights)) {
            System.out.println("== pre-training the source model on " + fashionMnist + " (from scratch)");
            // the demo reruns into the same folders: each run replaces the previous one (--overwrite)
            TrainCommand.run(JobConfig.of(ConfigFactory.parseString(String.join("\n",
                    "strategy = scratch", "model.name = small_resnet", "train.epochs = " + epochs,
                    "train.batch_size = 64", "train.lr = 0.003", "train.log_every = 200", "train.select_metric = accuracy",
                    "data.format = medmnist", "data.path = \"" + fashionMnist + "\"",
                    "run.dir = \"" + runDir(demoDir) + "\""))), false, true);
        }
        return weights;
    }
}
