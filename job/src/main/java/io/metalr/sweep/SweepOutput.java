package io.metalr.sweep;

import io.metalr.data.read.DataPaths;
import io.metalr.report.HadoopFiles;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The sweep's output folder on any Hadoop path. Each file or Parquet folder is written under a
 * temporary name and renamed into place, so a reader sees the old version or the new one, never
 * half of one.
 */
final class SweepOutput {

    private final FileSystem fs;
    private final Path dir;

    SweepOutput(String dir) throws IOException {
        this.fs = DataPaths.fileSystem(dir, DataPaths.configuration());
        this.dir = fs.makeQualified(DataPaths.toPath(dir));
        fs.mkdirs(this.dir);
    }

    String path(String name) {
        return new Path(dir, name).toString();
    }

    void writeText(String name, String text) throws IOException {
        Path tmp = temporary(name);
        try (FSDataOutputStream out = fs.create(tmp, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        replace(tmp, new Path(dir, name));
    }

    void writeParquet(String name, Dataset<Row> frame) throws IOException {
        Path tmp = temporary(name);
        frame.coalesce(1).write().mode(SaveMode.Overwrite).parquet(tmp.toString());
        replace(tmp, new Path(dir, name));
    }

    private Path temporary(String name) {
        return new Path(dir, "._tmp-" + name + "-" + System.nanoTime());
    }

    private void replace(Path tmp, Path target) throws IOException {
        HadoopFiles.replace(fs, tmp, target);
    }
}
