package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A driver that dies mid-run and is resumed from its newest complete checkpoint ends with the
 * same weights and rates, bitwise, as an undisturbed run; half-written checkpoints are never read.
 */
class CheckpointResumeTest {

    @TempDir
    Path dir;

    private static final JobConfig CFG = JobConfig.of(ConfigFactory.parseString(String.join("\n",
            "model.name = small_resnet", "strategy = metalr", "train.epochs = 2", "train.batch_size = 8",
            "train.select_metric = loss", "train.log_every = 0", "meta.hold_head_epochs = 0", "meta.hyper_lr = 5")));

    private Trainer.Outcome run(String checkpoints, boolean resume, long dieAtStep) {
        return run(checkpoints, resume, dieAtStep, 5);
    }

    private Trainer.Outcome run(String checkpoints, boolean resume, long dieAtStep, long trainSeed) {
        RunSetup setup = RunSetup.from(CFG, 1, 3);
        ImageSet train = SyntheticImages.generate("blobs", 3, 80, 1, 12, trainSeed);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        return new DistributedTrainer(CFG, setup, MetaMode.GLOBAL, 2, s -> { })
                .withCheckpoints(checkpoints, 3, resume)
                .fit(TestSpark.context(), train, val, null, step -> {
                    if (step.report().step() == dieAtStep) {
                        throw new IllegalStateException("driver killed at step " + dieAtStep);
                    }
                });
    }

    @Test
    void resumedRunEqualsAnUndisturbedOne() throws Exception {
        Trainer.Outcome undisturbed = run(dir.resolve("a").toUri().toString(), false, -1);
        String b = dir.resolve("b").toUri().toString();
        assertThrows(RuntimeException.class, () -> run(b, false, 7));
        assertTrue(Files.isDirectory(dir.resolve("b").resolve("step-000000006")), "a checkpoint at step 6");
        // debris of a crash in the middle of writing: neither may be read
        Files.createDirectories(dir.resolve("b").resolve("_tmp-step-9-123"));
        Files.createDirectories(dir.resolve("b").resolve("step-000000009"));
        // the same config over other training images is another run: refused, naming what differs
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> run(b, true, -1, 55));
        assertTrue(other.getMessage().contains("differs in data.sha256.train: "), other.getMessage());
        Trainer.Outcome resumed = run(b, true, -1);

        assertEquals(undisturbed.steps(), resumed.steps());
        assertArrayEquals(undisturbed.finalLr(), resumed.finalLr());
        assertEquals(undisturbed.bestEpoch(), resumed.bestEpoch());
        undisturbed.bestWeights().forEach((name, v) -> assertArrayEquals(v, resumed.bestWeights().get(name), name));
        assertFalse(Files.exists(dir.resolve("b").resolve("_tmp-step-9-123")), "a dead writer's temporary folder is removed");
        // train.keep_checkpoints = 2: the newest two complete checkpoints stay, older ones go
        try (java.util.stream.Stream<java.nio.file.Path> all = Files.list(dir.resolve("a"))) {
            assertEquals(List.of("step-000000009", "step-000000010"), all.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("step-")).sorted().toList());
        }
    }

    @Test
    void anUnreadableNewestCheckpointFallsBackToTheOneBefore() throws Exception {
        String uri = dir.resolve("d").toUri().toString();
        for (long step : new long[] {3, 6}) {
            new Checkpoint(step, 0, (int) step, new double[] {1e-3}, step, java.util.Map.of("w", new float[] {step}),
                    java.util.Map.of(), java.util.Map.of(), 0, null, null).write(uri);
        }
        java.nio.file.Path tensors = dir.resolve("d").resolve("step-000000006").resolve("tensors.bin");
        Files.write(tensors, java.util.Arrays.copyOf(Files.readAllBytes(tensors), 5)); // cut short
        List<String> warnings = new java.util.ArrayList<>();
        Checkpoint back = Checkpoint.newest(uri, warnings::add).orElseThrow();
        assertEquals(3, back.step());
        assertArrayEquals(new float[] {3}, back.tensors().get("w"));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("step-000000006"), warnings.get(0));
    }

    @Test
    void checkpointRoundTripsThroughAHadoopPath() throws Exception {
        String uri = dir.resolve("c").toUri().toString();
        Checkpoint c = new Checkpoint(12, 1, 2, new double[] {1e-3, 2e-3}, 12,
                java.util.Map.of("w", new float[] {1, 2, 3}), java.util.Map.of("w#exp_avg", new float[] {4, 5, 6}),
                java.util.Map.of("w#exp_avg", new long[] {3}), 0, null, null);
        c.write(uri);
        Checkpoint back = Checkpoint.newest(uri, w -> { }).orElseThrow();
        assertEquals(12, back.step());
        assertEquals(2, back.stepInEpoch());
        assertArrayEquals(new float[] {1, 2, 3}, back.tensors().get("w"));
        assertArrayEquals(new float[] {4, 5, 6}, back.optimizerState().get("w#exp_avg"));
        assertArrayEquals(new long[] {3}, back.optimizerShapes().get("w#exp_avg"));
        assertTrue(Checkpoint.newest(dir.resolve("none").toUri().toString(), w -> { }).isEmpty());
    }
}
