package io.metalr.spark;

import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.train.RunSetup;
import io.metalr.train.StepReport;
import io.metalr.train.Trainer;
import io.metalr.train.fit.CheckpointPolicy;
import io.metalr.train.fit.FitListener;
import io.metalr.train.fit.FitLoop;

import org.apache.spark.api.java.JavaSparkContext;

import java.util.List;
import java.util.function.Consumer;

/** A distributed run: {@link FitLoop} over a {@link SparkEngine}, with or without checkpoints. */
public final class DistributedTrainer {

    private final JobConfig cfg;
    private final RunSetup setup;
    private final MetaMode mode;
    private final int shardCount;
    private final Consumer<String> log;
    private String checkpointDir;
    private int checkpointEvery;
    private boolean resume;

    public DistributedTrainer(JobConfig cfg, RunSetup setup, MetaMode mode, int shardCount, Consumer<String> log) {
        this.cfg = cfg;
        this.setup = setup;
        this.mode = mode;
        this.shardCount = shardCount;
        this.log = log;
    }

    /** Checkpoints every {@code every} steps and at epoch ends into {@code dir}; see {@link CheckpointPolicy}. */
    public DistributedTrainer withCheckpoints(String dir, int every, boolean resume) {
        this.checkpointDir = dir;
        this.checkpointEvery = every;
        this.resume = resume;
        return this;
    }

    /**
     * One step's record: the report, the wall time, the compute time inside it (the slowest shard
     * of each round plus the driver's update), the bytes through the driver and the busiest executor's bytes.
     */
    public record Step(StepReport report, double seconds, double computeSeconds, long bytesMoved, long executorBytes) {}

    public Trainer.Outcome fit(JavaSparkContext sc, ImageSet train, ImageSet val, ImageSet test, Consumer<Step> onStep) {
        CheckpointPolicy checkpoints = checkpointDir == null ? null : new CheckpointPolicy(checkpointDir, checkpointEvery,
                cfg.integer("train.keep_checkpoints"), resume, RunFingerprint.of(cfg, shardCount, mode, setup.initial(), train, val, test));
        List<FitListener> listeners = onStep == null ? List.of()
                : List.of((r, t) -> onStep.accept(new Step(r, t.seconds(), t.computeSeconds(), t.bytesMoved(), t.executorBytes())));
        try (SparkEngine engine = new SparkEngine(cfg, setup, mode, shardCount, sc, train, val, test, log)) {
            return new FitLoop(cfg, setup, engine, listeners, checkpoints, null, log).run();
        }
    }
}
