package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.CrashingFileSystem;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * How a checkpoint is committed, watched through a file system that records every change and can
 * die at any one of them: the {@code _COMPLETE} marker is created in the checkpoint's final folder
 * after the rename, never in the temporary one (on s3a a rename copies object by object, so a
 * marker inside the temporary folder could arrive before the tensors), and a crash at any step
 * leaves the newest checkpoint readable in one version.
 */
class CheckpointCommitTest {

    @TempDir
    java.nio.file.Path base;

    private static FileSystem local() throws IOException {
        return FileSystem.getLocal(new Configuration());
    }

    private static Checkpoint at(long step, float w) {
        return new Checkpoint(step, 0, (int) step, new double[] {1e-3}, step, Map.of("w", new float[] {w}),
                Map.of(), Map.of(), 0, null, null);
    }

    private Path root(String name) {
        return new Path(base.resolve(name).toUri());
    }

    @Test
    void theMarkerIsCreatedAfterTheRenameInTheFinalFolder() throws Exception {
        CrashingFileSystem fs = CrashingFileSystem.recording(local());
        at(6, 1).write(fs, root("a"));
        List<String> changes = fs.changes();
        int rename = indexOf(changes, "rename ", "/step-000000006");
        int marker = indexOf(changes, "create ", "/_COMPLETE");
        assertTrue(rename >= 0 && marker >= 0, changes.toString());
        assertTrue(changes.get(marker).endsWith("/step-000000006/_COMPLETE"), changes.get(marker));
        assertTrue(rename < marker, "the marker before the rename: " + changes);
        assertFalse(changes.stream().anyMatch(c -> c.contains("_tmp-") && c.contains("_COMPLETE")),
                "a marker in the temporary folder: " + changes);
    }

    @Test
    void aCrashBetweenTheRenameAndTheMarkerLeavesACheckpointThatResumeSkips() throws Exception {
        Path root = root("b");
        at(3, 3).write(local(), root);
        // the change right after the rename into step-000000006 is where the writer dies
        CrashingFileSystem dry = CrashingFileSystem.recording(local());
        at(6, 6).write(dry, root("dry"));
        int crashAt = indexOf(dry.changes(), "rename ", "/step-000000006") + 2;
        CrashingFileSystem dying = new CrashingFileSystem(local(), crashAt, false);
        try {
            at(6, 6).write(dying, root);
        } catch (IOException expected) {
            // the simulated crash
        }
        assertTrue(dying.crashed(), "the writer never got past the rename: " + dying.changes());
        assertTrue(local().exists(new Path(root, "step-000000006/tensors.bin")), "renamed in: " + dying.changes());
        Checkpoint back = Checkpoint.newest(local(), root, w -> { }).orElseThrow();
        assertEquals(3, back.step(), "an unmarked checkpoint was taken");
    }

    @Test
    void aCheckpointReplacingOneOfTheSameStepIsReadableWhereverTheWriterDies() throws Exception {
        for (int crashAt = 1; ; crashAt++) {
            Path root = root("c" + crashAt);
            at(6, 1).write(local(), root);
            CrashingFileSystem fs = new CrashingFileSystem(local(), crashAt, false);
            try {
                at(6, 2).write(fs, root);
            } catch (IOException e) {
                assertTrue(fs.crashed(), e.toString());
            }
            String when = "crash at change " + crashAt + " of " + fs.changes();
            List<String> warnings = new java.util.ArrayList<>();
            Checkpoint back = Checkpoint.newest(local(), root, warnings::add)
                    .orElseThrow(() -> new AssertionError(when + ": no checkpoint left"));
            assertEquals(6, back.step(), when);
            float w = back.tensors().get("w")[0];
            assertTrue(w == 1 || w == 2, when + ": w = " + w);
            assertEquals(List.of(), warnings, when);
            if (!fs.crashed()) {
                assertArrayEquals(new float[] {2}, back.tensors().get("w"));
                return;
            }
        }
    }

    private static int indexOf(List<String> changes, String op, String suffix) {
        for (int i = 0; i < changes.size(); i++) {
            if (changes.get(i).startsWith(op) && changes.get(i).endsWith(suffix)) {
                return i;
            }
        }
        return -1;
    }
}
