package io.metalr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The scenario: run A dies with checkpoints in its run directory, and run B (another
 * train.lr) is started in the same directory. B is refused unless it says --resume (refused too,
 * naming train.lr: A's checkpoints are not B's run) or --overwrite (starts afresh, A's checkpoints
 * gone); A's own --resume continues A.
 */
class ResumeOrOverwriteTest {

    private static final List<String> TINY = List.of(
            "device=cpu", "model.name=reference_cnn", "train.epochs=2", "train.batch_size=8", "train.log_every=0",
            "meta.hold_head_epochs=1", "distributed.shards=2", "data.synthetic.classes=3", "data.synthetic.train=48",
            "data.synthetic.val=24", "data.synthetic.test=24", "data.synthetic.size=12");

    /** Exit code, stdout and stderr of one command line. */
    private record Ran(int code, String out, String err) {}

    private static Ran train(Path dir, String lr, String... flags) {
        List<String> args = new ArrayList<>(List.of("train"));
        List<String> sets = new ArrayList<>(TINY);
        sets.add("train.lr=" + lr);
        sets.add("run.dir=" + dir);
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        args.addAll(List.of(flags));
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args.toArray(String[]::new));
            return new Ran(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** What a driver killed in the second epoch leaves: the first epoch's checkpoint, no _SUCCESS. */
    private static void dieInTheSecondEpoch(Path dir) throws Exception {
        Files.delete(dir.resolve("_SUCCESS"));
        Path second = dir.resolve("checkpoints").resolve("step-000000006");
        if (Files.exists(second)) {
            try (Stream<Path> files = Files.walk(second)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        assertEquals(List.of("step-000000003"), checkpoints(dir));
    }

    private static List<String> checkpoints(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("checkpoints"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")).sorted().toList();
        }
    }

    private static double configLr(Path dir) {
        return ConfigFactory.parseFile(dir.resolve("config.conf").toFile()).getDouble("train.lr");
    }

    @Test
    void anotherRunInTheSameDirectoryNeedsOverwriteAndCannotResumeTheFirst(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        Ran a = train(dir, "0.004");
        assertEquals(ExitCodes.OK, a.code(), a.err());
        dieInTheSecondEpoch(dir);

        Ran b = train(dir, "0.002");
        assertEquals(ExitCodes.BAD_CONFIG, b.code(), "B started over A's checkpoints");
        assertTrue(b.err().contains("--resume") && b.err().contains("--overwrite") && b.err().contains("step 3"), b.err());

        Ran bResume = train(dir, "0.002", "--resume");
        assertEquals(ExitCodes.BAD_CONFIG, bResume.code(), "B resumed A");
        // the one difference, with A's value and B's
        assertTrue(bResume.err().contains("differs in train.lr: 0.004 in the checkpoint, 0.002 now. "), bResume.err());
        assertEquals(0.004, configLr(dir), "a refused run replaced A's config.conf");
        assertFalse(Files.exists(dir.resolve("_SUCCESS")));

        Ran aResume = train(dir, "0.004", "--resume");
        assertEquals(ExitCodes.OK, aResume.code(), aResume.err());
        assertTrue(aResume.out().contains("resumed from the checkpoint of step 3"), aResume.out());
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertEquals(6, summary.path("steps").asInt());

        // A dies again, having got further than B will get (a checkpoint at step 9, as in a longer run);
        // B with --overwrite starts afresh: its checkpoints only, its config
        dieInTheSecondEpoch(dir);
        Path later = dir.resolve("checkpoints").resolve("step-000000009");
        Files.createDirectories(later);
        try (Stream<Path> files = Files.list(dir.resolve("checkpoints").resolve("step-000000003"))) {
            for (Path f : files.toList()) {
                Files.copy(f, later.resolve(f.getFileName()));
            }
        }
        Ran bOverwrite = train(dir, "0.002", "--overwrite");
        assertEquals(ExitCodes.OK, bOverwrite.code(), bOverwrite.err());
        assertFalse(bOverwrite.out().contains("resumed from"), bOverwrite.out());
        assertEquals(0.002, configLr(dir));
        assertEquals(List.of("step-000000003", "step-000000006"), checkpoints(dir));
        for (String c : checkpoints(dir)) {
            JsonNode fp = new ObjectMapper().readTree(dir.resolve("checkpoints").resolve(c).resolve("fingerprint.json").toFile());
            assertEquals("0.002", fp.path("train.lr").asText(), c);
        }
        dieInTheSecondEpoch(dir);
        Ran aAgain = train(dir, "0.004", "--resume");
        assertEquals(ExitCodes.BAD_CONFIG, aAgain.code(), "A resumed B");
        assertTrue(aAgain.err().contains("differs in train.lr: 0.002 in the checkpoint, 0.004 now. "), aAgain.err());
    }
}
