package io.metalr.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import io.metalr.MiniHdfs;
import io.metalr.cli.ExitCodes;
import io.metalr.cli.Main;
import io.metalr.data.read.DataPaths;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A run directory on {@code hdfs://} (an in-JVM MiniDFSCluster) gets the same files as a local one. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HdfsRunDirectoryTest {

    @RegisterExtension
    static final MiniHdfs.PerClass HDFS = new MiniHdfs.PerClass();

    @Test
    void aRunOnHdfsWritesTheSameFilesAndRefusesToOverwriteThem() throws Exception {
        String dir = HDFS.root() + "/runs/metalr";
        assertEquals(ExitCodes.OK, Main.execute(RunOutputsTest.train(dir, List.of())));
        FileSystem fs = FileSystem.get(URI.create(HDFS.root() + "/"), DataPaths.configuration());
        Path run = new Path(dir);
        JsonNode summary = RunDirectoryChecks.assertCompleteRun(fs, run, 3);
        assertEquals(6, summary.path("steps").asInt());

        String[] refused = RunOutputsTest.execute(RunOutputsTest.train(dir, List.of("strategy=full")));
        assertEquals(Integer.toString(ExitCodes.BAD_CONFIG), refused[0], refused[1]);
        assertTrue(refused[1].contains(dir), refused[1]);

        // an unfinished run's files are replaced in place: HDFS's rename does not overwrite, the writer must
        // (a run that died before its first checkpoint: one with checkpoints is refused without --resume or --overwrite)
        fs.delete(new Path(run, "_SUCCESS"), false);
        fs.delete(new Path(run, "checkpoints"), true);
        assertEquals(ExitCodes.OK, Main.execute(RunOutputsTest.train(dir, List.of("strategy=full"))));
        summary = RunDirectoryChecks.assertCompleteRun(fs, run, 3);
        assertEquals("full", summary.path("strategy").asText());
        assertEquals(6, summary.path("steps").asInt());
    }
}
