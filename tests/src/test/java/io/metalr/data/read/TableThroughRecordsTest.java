package io.metalr.data.read;

import static io.metalr.data.read.DataSetsRecordsTest.cfg;
import static io.metalr.data.read.DataSetsRecordsTest.same;

import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.spark.RecordsRunTest;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The in-process load of a Parquet table goes through its records ({@code TableRecords}), as
 * every other format's: for a one-file table it is what storing {@link TableReader}'s samples
 * gave; the records of a table of several files come in rid order, files by name then rows.
 */
class TableThroughRecordsTest {

    @TempDir
    Path dir;

    private static List<Row> rows(int from, int to) {
        List<Row> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            rows.add(RowFactory.create(RecordsRunTest.pngOf(i, 12), i % 3, "p" + i / 2));
        }
        return rows;
    }

    /** {@code rows} as one Parquet file at {@code file}. */
    private Path parquetFile(List<Row> rows, Path file) throws Exception {
        Path tmp = dir.resolve("tmp-" + file.getFileName() + "-" + System.nanoTime());
        TestSpark.session().createDataFrame(rows, RecordsRunTest.SCHEMA).repartition(1).write().parquet(tmp.toString());
        Path part;
        try (Stream<Path> files = Files.list(tmp)) {
            part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        Files.createDirectories(file.getParent());
        return Files.move(part, file);
    }

    @Test
    void aOneFileTableLoadsAsItsSamplesDid() throws Exception {
        String t = RecordsRunTest.table(dir, "one.parquet", 40, 12, 1);
        JobConfig cfg = cfg("table", Path.of(t), "data.channels = 3");
        DataSets.Loaded today = DataSets.fromSamples(cfg, TableReader.read(t, OnBadRecord.FAIL), OnBadRecord.FAIL);
        same(today, DataSets.load(cfg));
    }

    @Test
    void theRecordsOfSeveralFilesComeFilesByNameThenRows() throws Exception {
        // a.parquet, the smaller file, first: Spark reads the larger one first
        List<Row> small = rows(0, 12);
        List<Row> large = rows(12, 48);
        Path multi = dir.resolve("multi").resolve("set.parquet");
        parquetFile(small, multi.resolve("a.parquet"));
        parquetFile(large, multi.resolve("b.parquet"));
        List<Row> inNameOrder = new ArrayList<>(small);
        inNameOrder.addAll(large);
        Path one = dir.resolve("one").resolve("set.parquet");
        parquetFile(inNameOrder, one.resolve("part-0.parquet"));

        same(DataSets.load(cfg("table", one, "data.channels = 3")), DataSets.load(cfg("table", multi, "data.channels = 3")));
    }
}
