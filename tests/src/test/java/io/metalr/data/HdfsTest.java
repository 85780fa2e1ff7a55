package io.metalr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.MiniHdfs;
import io.metalr.config.JobConfig;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.input.PortableDataStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Paths on HDFS: an in-JVM MiniDFSCluster (one datanode, 127.0.0.1, under a temp dir), files written
 * through the Hadoop FileSystem API, read back through {@code FileSystem.get(hdfs://127.0.0.1:port/...)}
 * and through a local Spark context, which shows the shaded minicluster and Spark 4's jars share
 * one JVM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HdfsTest {

    @RegisterExtension
    static final MiniHdfs.PerClass HDFS = new MiniHdfs.PerClass();

    /** A client configuration that bypasses the FileSystem cache, so nothing outlives the test. */
    private static Configuration client() {
        Configuration conf = new Configuration();
        conf.setBoolean("fs.hdfs.impl.disable.cache", true);
        return conf;
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The job's own data path: a MedMNIST-layout set on HDFS, read, preprocessed and split via hdfs://. */
    @Test
    void dataSetIsLoadedThroughAnHdfsPath() throws IOException {
        int n = 60;
        byte[] px = new byte[n * 8 * 8];
        long[] labels = new long[n];
        Random rng = new Random(3);
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int p = 0; p < 64; p++) {
                px[i * 64 + p] = (byte) (rng.nextInt(64) + 60 * labels[i]);
            }
        }
        NpzWriter npz = new NpzWriter();
        for (String split : new String[] {"train", "val", "test"}) {
            npz.put(split + "_images", NpzWriter.Array.uint8(px, n, 8, 8));
            npz.put(split + "_labels", NpzWriter.Array.int64(labels, n, 1));
        }
        String file = HDFS.root() + "/medmnist/tiny.npz";
        try (FileSystem fs = FileSystem.get(URI.create(HDFS.root() + "/"), client());
                FSDataOutputStream out = fs.create(new Path(file), false)) {
            npz.writeTo(out);
        }
        DataSets.Loaded d = DataSets.load(JobConfig.of(ConfigFactory.parseString(
                "data.format = medmnist\ndata.path = \"" + file + "\"")));
        assertEquals(n, d.train().size());
        assertEquals(n, d.val().size());
        assertEquals(n, d.test().size());
        assertEquals(3, d.numClasses());
        assertEquals(8, d.train().height());
        assertArrayEquals(new long[] {20, 20, 20}, d.train().classCounts());
    }

    @Test
    void writtenBytesReadBackThroughAnHdfsUri() throws IOException {
        // more than one block (1 MiB) so a read crosses a block boundary
        byte[] data = bytes(1024 * 1024 + 4321, 7);
        String file = HDFS.root() + "/data/set1/images.bin";
        try (FileSystem fs = FileSystem.get(URI.create(HDFS.root() + "/"), client())) {
            try (FSDataOutputStream out = fs.create(new Path(file), false)) {
                out.write(data);
            }
        }
        try (FileSystem fs = FileSystem.get(URI.create(file), client())) {
            assertEquals("hdfs", fs.getScheme());
            Path p = new Path(URI.create(file));
            assertTrue(fs.exists(p));
            assertFalse(fs.exists(new Path(HDFS.root() + "/data/set1/missing.bin")));
            FileStatus st = fs.getFileStatus(p);
            assertEquals(data.length, st.getLen());
            assertTrue(st.isFile());
            byte[] back = new byte[(int) st.getLen()];
            try (FSDataInputStream in = fs.open(p)) {
                in.readFully(0, back);
            }
            assertArrayEquals(data, back);
            FileStatus[] listed = fs.listStatus(new Path(HDFS.root() + "/data/set1"));
            assertEquals(1, listed.length);
            assertEquals("images.bin", listed[0].getPath().getName());
        }
    }

    @Test
    void sparkReadsTheSameFilesFromTheMiniCluster() throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        files.put("a.bin", bytes(1000, 1));
        files.put("b.bin", bytes(2000, 2));
        files.put("c.bin", bytes(3, 3));
        try (FileSystem fs = FileSystem.get(URI.create(HDFS.root() + "/"), client())) {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                try (FSDataOutputStream out = fs.create(new Path(HDFS.root() + "/spark/" + e.getKey()))) {
                    out.write(e.getValue());
                }
            }
        }
        JavaSparkContext jsc = io.metalr.TestSpark.context();
        jsc.hadoopConfiguration().setBoolean("fs.hdfs.impl.disable.cache", true);
        JavaPairRDD<String, PortableDataStream> rdd = jsc.binaryFiles(HDFS.root() + "/spark");
        List<scala.Tuple2<String, byte[]>> got = rdd.mapValues(PortableDataStream::toArray).collect();
        assertEquals(files.size(), got.size());
        for (scala.Tuple2<String, byte[]> t : got) {
            String name = t._1().substring(t._1().lastIndexOf('/') + 1);
            assertTrue(t._1().startsWith(HDFS.root() + "/spark/") || t._1().startsWith("hdfs://"), t._1());
            assertArrayEquals(files.get(name), t._2(), name + " " + Arrays.toString(Arrays.copyOf(t._2(), 4)));
        }
    }
}
