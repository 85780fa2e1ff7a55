package io.metalr.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import io.metalr.cli.ExitCodes;
import io.metalr.cli.Main;
import io.metalr.data.read.DataPaths;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A run directory on {@code hdfs://} (an in-JVM MiniDFSCluster) gets the same files as a local one. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HdfsRunDirectoryTest {

    @TempDir
    static java.nio.file.Path base;

    private static MiniDFSCluster cluster;
    private static String root;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = io.metalr.MiniHdfs.start(base.resolve("dfs"));
        root = io.metalr.MiniHdfs.root(cluster);
    }

    @AfterAll
    static void stopCluster() throws IOException {
        if (cluster != null) {
            // the job's client comes from Hadoop's cache: close it with the cluster it talks to
            DataPaths.fileSystem(root + "/", DataPaths.configuration()).close();
            cluster.shutdown(true);
            cluster = null;
        }
    }

    @Test
    void aRunOnHdfsWritesTheSameFilesAndRefusesToOverwriteThem() throws Exception {
        String dir = root + "/runs/metalr";
        assertEquals(ExitCodes.OK, Main.execute(RunOutputsTest.train(dir, List.of())));
        FileSystem fs = FileSystem.get(URI.create(root + "/"), DataPaths.configuration());
        Path run = new Path(dir);
        JsonNode summary = RunDirectoryChecks.assertCompleteRun(fs, run, 3);
        assertEquals(6, summary.path("steps").asInt());

        String[] refused = RunOutputsTest.execute(RunOutputsTest.train(dir, List.of("strategy=full")));
        assertEquals(Integer.toString(ExitCodes.BAD_CONFIG), refused[0], refused[1]);
        assertTrue(refused[1].contains(dir), refused[1]);

        // an unfinished run's files are replaced in place: HDFS's rename does not overwrite, the writer must
        fs.delete(new Path(run, "_SUCCESS"), false);
        assertEquals(ExitCodes.OK, Main.execute(RunOutputsTest.train(dir, List.of("strategy=full"))));
        summary = RunDirectoryChecks.assertCompleteRun(fs, run, 3);
        assertEquals("full", summary.path("strategy").asText());
        assertEquals(6, summary.path("steps").asInt());
    }
}
