package io.metalr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A run killed mid-epoch and resumed with {@code --resume}, in one process or on Spark, writes the
 * outputs of the whole run: metrics.jsonl holds every step and epoch (the same numbers as an
 * undisturbed run's), lr.csv every step, summary.json the whole run's steps, epochs and images.
 */
class ResumeCoversTheWholeRunTest {

    @TempDir
    Path tmp;

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String train(Path dir, int shards, String... flags) {
        List<String> args = new ArrayList<>(List.of("train"));
        for (String s : List.of("device=cpu", "model.name=reference_cnn", "train.epochs=2", "train.batch_size=8",
                "train.log_every=0", "train.checkpoint_every=2", "train.keep_checkpoints=20", "meta.hold_head_epochs=0",
                "train.select_metric=loss", "distributed.shards=" + shards, "data.synthetic.classes=3",
                "data.synthetic.train=48", "data.synthetic.val=24", "data.synthetic.test=24", "data.synthetic.size=12",
                "run.dir=" + dir)) {
            args.add("--set");
            args.add(s);
        }
        args.addAll(List.of(flags));
        PrintStream out = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args.toArray(String[]::new));
            assertEquals(ExitCodes.OK, code, "train " + String.join(" ", flags) + ":\n" + o.toString(StandardCharsets.UTF_8));
            return o.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(out);
        }
    }

    /** What a driver killed after step 5 leaves: checkpoints up to step 4, no outputs, no _SUCCESS. */
    private static void dieAfterStep5(Path dir) throws Exception {
        for (String f : List.of("_SUCCESS", "metrics.jsonl", "lr.csv", "summary.json")) {
            Files.delete(dir.resolve(f));
        }
        try (Stream<Path> all = Files.list(dir.resolve("checkpoints"))) {
            for (Path c : all.filter(p -> p.getFileName().toString().compareTo("step-000000004") > 0).toList()) {
                try (Stream<Path> files = Files.walk(c)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        assertTrue(Files.isDirectory(dir.resolve("checkpoints").resolve("step-000000004")));
    }

    /** metrics.jsonl's records without their wall times. */
    private static List<JsonNode> records(Path dir) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            ObjectNode n = (ObjectNode) JSON.readTree(line);
            n.remove(List.of("seconds", "images_per_second"));
            out.add(n);
        }
        return out;
    }

    @ParameterizedTest(name = "distributed.shards = {0}")
    @ValueSource(ints = {0, 2})
    void resumedRunReportsTheWholeRun(int shards) throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        train(a, shards);
        train(b, shards);
        dieAfterStep5(b);
        String resumed = train(b, shards, "--resume");
        assertTrue(resumed.contains("resumed from the checkpoint of step 4"), resumed);

        List<JsonNode> whole = records(a);
        long steps = whole.stream().filter(n -> n.get("kind").asText().equals("step")).count();
        assertEquals(shards == 0 ? 12 : 6, steps);
        assertEquals(whole, records(b), "metrics.jsonl of the resumed run");
        assertEquals(Files.readString(a.resolve("lr.csv")), Files.readString(b.resolve("lr.csv")));
        assertEquals(steps + 1, Files.readAllLines(b.resolve("lr.csv")).size());
        JsonNode sa = JSON.readTree(a.resolve("summary.json").toFile());
        JsonNode sb = JSON.readTree(b.resolve("summary.json").toFile());
        for (String k : List.of("epochs", "best_epoch", "val", "test", "final_lr", "steps", "skipped_steps")) {
            assertEquals(sa.get(k), sb.get(k), "summary.json " + k);
        }
        assertEquals(sa.get("timing").get("train_images"), sb.get("timing").get("train_images"), "summary.json timing.train_images");
    }
}
