package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * On a local master every shard's task runs in this JVM, so by default the executors average
 * through memory ({@code distributed.transport = auto}); over TCP ({@code tcp}) the same run
 * moves bytes between them, and ends with the same bits: the same rates, losses and weights.
 */
class TransportEquivalenceTest {

    private static final String CFG = String.join("\n", "model.name = small_resnet", "strategy = metalr",
            "train.epochs = 1", "train.batch_size = 8", "train.select_metric = loss", "train.log_every = 0",
            "meta.hold_head_epochs = 0", "meta.direction = optimizer", "meta.normalize = cosine", "device = cpu");

    private record Run(Trainer.Outcome out, List<DistributedTrainer.Step> steps) {}

    private static Run run(String transport) {
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString("distributed.transport = " + transport)
                .withFallback(ConfigFactory.parseString(CFG)));
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        ImageSet train = SyntheticImages.generate("blobs", 3, 2 * 8 * 4, 1, 12, 5);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        List<DistributedTrainer.Step> steps = new ArrayList<>();
        Trainer.Outcome out = new DistributedTrainer(cfg, setup, MetaMode.GLOBAL, 2, s -> { }).fit(TestSpark.context(), train, val,
                null, steps::add);
        return new Run(out, steps);
    }

    @Test
    void throughMemoryAndOverTcpTheRunIsTheSame() {
        Run memory = run("auto");
        Run tcp = run("tcp");
        assertEquals(4, memory.steps().size());
        for (int i = 0; i < memory.steps().size(); i++) {
            DistributedTrainer.Step a = memory.steps().get(i), b = tcp.steps().get(i);
            assertEquals(0, a.executorBytes(), "step " + i + ": through memory, no executor bytes");
            // half the 0.31 MB gradient each way, twice (reduce-scatter, all-gather), and the cosine rule's half
            assertTrue(b.executorBytes() > 2 * 300_000, "step " + i + ": over TCP, about a gradient each way: " + b.executorBytes());
            assertEquals(a.report().trainLoss(), b.report().trainLoss(), "step " + i);
            assertEquals(a.report().metaLoss(), b.report().metaLoss(), "step " + i);
            assertArrayEquals(a.report().lrAfter(), b.report().lrAfter(), "step " + i);
        }
        memory.out().bestWeights().forEach((name, w) -> assertArrayEquals(w, tcp.out().bestWeights().get(name), name + ", bitwise"));
    }
}
