package io.metalr.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.CrashingFileSystem;
import io.metalr.MiniHdfs;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Replacing an output (a report file, a table folder, a checkpoint folder) is killed at every one
 * of its steps in turn, on the local file system, on HDFS, and on the local one behaving like an
 * object store (a rename never overwrites): at the instant of the crash one complete version (the
 * old or the new) exists under the target's name or its backup's, and the next run's
 * {@link HadoopFiles#recover} leaves exactly one complete version under the target's name.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AtomicReplaceTest {

    @TempDir
    static java.nio.file.Path base;

    @RegisterExtension
    static final MiniHdfs.PerClass HDFS = new MiniHdfs.PerClass();
    private static final AtomicInteger CASES = new AtomicInteger();

    /** A fresh empty folder on the file system {@code kind} names, and that file system. */
    private record Place(FileSystem fs, Path dir, boolean objectStore) {}

    private static Place place(String kind) throws IOException {
        String name = "case-" + CASES.incrementAndGet();
        return switch (kind) {
            case "local", "local-object-store" -> {
                FileSystem fs = FileSystem.getLocal(new Configuration()).getRawFileSystem();
                Path dir = new Path(base.resolve(name).toUri());
                fs.mkdirs(dir);
                yield new Place(fs, dir, kind.equals("local-object-store"));
            }
            case "hdfs" -> {
                FileSystem fs = FileSystem.get(URI.create(HDFS.root() + "/"), new Configuration());
                Path dir = new Path(HDFS.root() + "/" + name);
                fs.mkdirs(dir);
                yield new Place(fs, dir, false);
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "local-object-store", "hdfs"})
    void aFileReplacedByACrashingWriterIsTheOldOrTheNew(String kind) throws Exception {
        for (int crashAt = 1; ; crashAt++) {
            Place at = place(kind);
            FileSystem real = at.fs();
            Path target = new Path(at.dir(), "summary.json");
            write(real, target, "old");
            CrashingFileSystem fs = new CrashingFileSystem(real, crashAt, at.objectStore());
            try {
                HadoopFiles.write(fs, target, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                assertTrue(fs.crashed(), e.toString());
            }
            String when = kind + ", crash at change " + crashAt + " of " + fs.changes();
            String now = readOrNull(real, target);
            String backup = readOrNull(real, HadoopFiles.backupOf(target));
            assertTrue(oldOrNew(now) || "old".equals(backup),
                    when + ": neither version is left (target " + now + ", backup " + backup + ")");

            HadoopFiles.recover(real, target, null); // what the next write of it does first
            String after = readOrNull(real, target);
            assertTrue(oldOrNew(after), when + ": after recovery " + after);
            assertFalse(real.exists(HadoopFiles.backupOf(target)), when);
            if (!fs.crashed()) {
                assertEquals("new", after, kind);
                assertEquals(List.of("summary.json"), names(real, at.dir()), kind + ": nothing else left behind");
                return;
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "local-object-store", "hdfs"})
    void aFolderReplacedByACrashingWriterIsTheOldOrTheNewWhole(String kind) throws Exception {
        for (String marker : Arrays.asList("_COMPLETE", null)) {
            for (int crashAt = 1; ; crashAt++) {
                Place at = place(kind);
                FileSystem real = at.fs();
                Path target = new Path(at.dir(), "step-000000006");
                folder(real, target, "old", marker);
                Path tmp = new Path(at.dir(), "_tmp-step-6");
                folder(real, tmp, "new", null);
                CrashingFileSystem fs = new CrashingFileSystem(real, crashAt, at.objectStore());
                try {
                    HadoopFiles.replace(fs, tmp, target, marker);
                } catch (IOException e) {
                    assertTrue(fs.crashed(), e.toString());
                }
                String when = kind + ", marker " + marker + ", crash at change " + crashAt + " of " + fs.changes();
                String now = wholeVersion(real, target, marker);
                String backup = wholeVersion(real, HadoopFiles.backupOf(target), marker);
                assertTrue(now != null || "old".equals(backup),
                        when + ": no complete version is left (target " + now + ", backup " + backup + ")");

                HadoopFiles.recover(real, target, marker); // what the next reader or writer does first
                String after = wholeVersion(real, target, marker);
                assertTrue(oldOrNew(after), when + ": after recovery " + after);
                assertFalse(real.exists(HadoopFiles.backupOf(target)), when);
                if (!fs.crashed()) {
                    assertEquals("new", after, when);
                    assertEquals(List.of("step-000000006"), names(real, at.dir()), when + ": nothing else left behind");
                    break;
                }
            }
        }
    }

    private static boolean oldOrNew(String version) {
        return "old".equals(version) || "new".equals(version);
    }

    private static void write(FileSystem fs, Path file, String text) throws IOException {
        try (FSDataOutputStream out = fs.create(file, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String readOrNull(FileSystem fs, Path file) throws IOException {
        if (!fs.exists(file)) {
            return null;
        }
        try (InputStream in = fs.open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A folder of two parts holding {@code version}, and the marker when one is given. */
    private static void folder(FileSystem fs, Path dir, String version, String marker) throws IOException {
        fs.mkdirs(dir);
        write(fs, new Path(dir, "tensors.bin"), version);
        write(fs, new Path(dir, "state.json"), version);
        if (marker != null) {
            write(fs, new Path(dir, marker), "");
        }
    }

    /**
     * The version a folder holds when it is complete: both parts of one version, and the marker
     * when one is given; null otherwise.
     */
    private static String wholeVersion(FileSystem fs, Path dir, String marker) throws IOException {
        if (!fs.exists(dir) || (marker != null && !fs.exists(new Path(dir, marker)))) {
            return null;
        }
        String a = readOrNull(fs, new Path(dir, "tensors.bin"));
        String b = readOrNull(fs, new Path(dir, "state.json"));
        return a != null && a.equals(b) ? a : null;
    }

    private static List<String> names(FileSystem fs, Path dir) throws IOException {
        return Arrays.stream(fs.listStatus(dir)).map(FileStatus::getPath).map(Path::getName).sorted().toList();
    }
}
